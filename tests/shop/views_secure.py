"""The shop fixed the way each finding's hint says: the same views, no finding.

The test settings accept API keys next to JWT sessions, so each view also declares the key scope
each method needs (apisec.W560); the function view takes JWT sessions only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import generics, viewsets
from rest_framework.decorators import action, api_view, authentication_classes
from rest_framework.response import Response
from rest_framework.views import APIView

from django_apisec.apikeys.scopes import scopes_for
from django_apisec.jwt.authentication import JWTSessionAuthentication
from django_apisec.ownership.mixins import OwnedQuerysetMixin, get_owned_object_or_404, owned_by
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


class CustomerViewSet(OwnedQuerysetMixin, viewsets.ModelViewSet):  # type: ignore[type-arg]
    required_scopes = scopes_for("shop")
    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    owner_field = "owner"

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("name")


class InvoiceLineList(OwnedQuerysetMixin, generics.ListCreateAPIView):  # type: ignore[type-arg]
    required_scopes = scopes_for("shop")
    queryset = InvoiceLine.objects.all()
    serializer_class = InvoiceLineSerializer
    owner_field = "invoice__customer__owner"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("product")


class InvoiceViewSet(OwnedQuerysetMixin, viewsets.ModelViewSet):  # type: ignore[type-arg]
    required_scopes = scopes_for("shop")
    queryset = Invoice.objects.all()
    serializer_class = InvoiceSerializer
    owner_field = "customer__owner"
    owned_relations = {"tags": "owner"}

    @action(detail=True, methods=["post"])
    def mark_paid(self, request: Request, pk: str | None = None) -> Response:
        invoice = self.get_object()
        invoice.paid = True
        invoice.save(update_fields=["paid"])
        return Response({"paid": True})


class InvoiceTotalView(APIView):
    required_scopes = scopes_for("shop")

    def get(self, request: Request, pk: int) -> Response:
        invoice = get_owned_object_or_404(
            Invoice.objects.all(), "customer__owner", request.user, pk=pk
        )
        return Response({"number": invoice.number, "lines": invoice.lines.count()})


@api_view(["GET"])
@authentication_classes([JWTSessionAuthentication])
def customer_detail(request: Request, pk: int) -> Response:
    customers = owned_by(Customer.objects.all(), "owner", request.user)
    customer = customers.filter(pk=pk).values("id", "name").first()
    if customer is None:
        return Response({"detail": "Not found.", "code": "not_found"}, status=404)
    return Response(customer)


class InvoiceLineDetail(OwnedQuerysetMixin, generics.RetrieveUpdateDestroyAPIView):  # type: ignore[type-arg]
    required_scopes = scopes_for("shop")
    queryset = InvoiceLine.objects.all()
    serializer_class = InvoiceLineSerializer
    owner_field = "invoice__customer__owner"


class InvoiceList(OwnedQuerysetMixin, generics.ListCreateAPIView):  # type: ignore[type-arg]
    required_scopes = scopes_for("shop")
    queryset = Invoice.objects.all()
    serializer_class = InvoiceSerializer
    owner_field = "customer__owner"
    owned_relations = {"tags": "owner"}


@public
class ProductList(generics.ListAPIView):  # type: ignore[type-arg]
    queryset = Product.objects.all()
    serializer_class = ProductSerializer
