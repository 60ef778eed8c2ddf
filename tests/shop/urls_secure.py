"""The shop's URLconf, secure variant: a router for the viewsets, paths for the rest."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from tests.shop import views_secure as v

router = DefaultRouter()
router.include_root_view = False
router.register("customers", v.CustomerViewSet, basename="customer")
router.register("invoices", v.InvoiceViewSet, basename="invoice")

urlpatterns = [
    path("shop/", include(router.urls)),
    path("shop/lines/", v.InvoiceLineList.as_view()),
    path("shop/lines/<int:pk>/", v.InvoiceLineDetail.as_view()),
    path("shop/invoice-list/", v.InvoiceList.as_view()),
    path("shop/invoices/<int:pk>/total/", v.InvoiceTotalView.as_view()),
    path("shop/customer-detail/<int:pk>/", v.customer_detail),
    path("shop/products/", v.ProductList.as_view()),
]
