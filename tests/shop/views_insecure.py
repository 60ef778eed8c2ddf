"""The shop as first written: each view has one of the three holes the views audit finds.

E510 (a queryset the same for every user): ``CustomerViewSet``, ``InvoiceLineList``.
E511 (a lookup past the view's scoping): ``InvoiceViewSet.mark_paid``, ``InvoiceTotalView``,
``customer_detail``. E512 (a writable relation to every row): ``InvoiceLineDetail``,
``InvoiceList``. tests/test_audit_shop.py shows each hole with two users.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.shortcuts import get_object_or_404
from rest_framework import generics, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.response import Response
from rest_framework.views import APIView

from django_apisec.ownership.mixins import OwnedQuerysetMixin
from django_apisec.ownership.permissions import public
from tests.shop.models import Customer, Invoice, InvoiceLine, Product

if TYPE_CHECKING:
    from rest_framework.request import Request

from tests.shop.serializers import (
    CustomerSerializer,
    InvoiceLineSerializer,
    InvoiceSerializer,
    ProductSerializer,
)


class CustomerViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    """E510: get_queryset() is overridden (so E502 trusts it), but returns every customer."""

    serializer_class = CustomerSerializer

    def get_queryset(self) -> Any:
        return Customer.objects.order_by("name")

    def perform_create(self, serializer: Any) -> None:
        serializer.save(owner=self.request.user)


class InvoiceLineList(OwnedQuerysetMixin, generics.ListCreateAPIView):  # type: ignore[type-arg]
    """E510: the override does not call super(), which silently defeats the mixin."""

    queryset = InvoiceLine.objects.all()
    serializer_class = InvoiceLineSerializer
    owner_field = "invoice__customer__owner"

    def get_queryset(self) -> Any:
        return InvoiceLine.objects.select_related("product")


class InvoiceViewSet(OwnedQuerysetMixin, viewsets.ModelViewSet):  # type: ignore[type-arg]
    """Scoped, except E511: the @action loads the invoice itself."""

    queryset = Invoice.objects.all()
    serializer_class = InvoiceSerializer
    owner_field = "customer__owner"
    owned_relations = {"tags": "owner"}

    @action(detail=True, methods=["post"])
    def mark_paid(self, request: Request, pk: str | None = None) -> Response:
        invoice = Invoice.objects.get(pk=pk)
        invoice.paid = True
        invoice.save(update_fields=["paid"])
        return Response({"paid": True})


class InvoiceTotalView(APIView):
    """E511: a plain APIView looks the invoice up by id."""

    def get(self, request: Request, pk: int) -> Response:
        invoice = get_object_or_404(Invoice, pk=pk)
        return Response({"number": invoice.number, "lines": invoice.lines.count()})


@api_view(["GET"])
def customer_detail(request: Request, pk: int) -> Response:
    """E511: an @api_view function looks the customer up by id."""
    customer = Customer.objects.filter(pk=pk).values("id", "name").first()
    return Response(customer)


class InvoiceLineDetail(generics.RetrieveUpdateDestroyAPIView):  # type: ignore[type-arg]
    """E512: scoped by hand as E502's old hint said; the invoice a line moves to is not."""

    serializer_class = InvoiceLineSerializer

    def get_queryset(self) -> Any:
        return InvoiceLine.objects.filter(invoice__customer__owner=self.request.user)


class InvoiceList(generics.ListCreateAPIView):  # type: ignore[type-arg]
    """E512: scoped by hand; ``customer`` and ``tags`` accept every user's rows."""

    serializer_class = InvoiceSerializer

    def get_queryset(self) -> Any:
        return Invoice.objects.filter(customer__owner=self.request.user)


@public
class ProductList(generics.ListAPIView):  # type: ignore[type-arg]
    """A public catalogue: Product is declared shared, so no finding."""

    queryset = Product.objects.all()
    serializer_class = ProductSerializer
