"""Serializers of the shop: the same in both variants; what differs is how the views use them."""

from __future__ import annotations

from rest_framework import serializers

from tests.shop.models import Customer, Invoice, InvoiceLine, Product, Tag


class CustomerSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Customer
        fields = ["id", "name"]


class ProductSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Product
        fields = ["id", "name"]


class TagSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Tag
        fields = ["id", "name"]


class InvoiceSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """``customer`` and ``tags`` are writable relations: who may be chosen is the view's job."""

    class Meta:
        model = Invoice
        fields = ["id", "customer", "number", "paid", "tags"]
        read_only_fields = ["paid"]


class InvoiceLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = InvoiceLine
        fields = ["id", "invoice", "product", "quantity"]
