"""A second sample project for the views audit: a shop as a fresh ``startproject`` would write it.

Customers belong to a user; invoices belong to a customer (owned through ``customer__owner``);
invoice lines to an invoice (``invoice__customer__owner``); tags to a user and to invoices (M2M).
Products are a public catalogue: ``created_by`` is a user, but the product is not theirs
(``APISEC_SHARED_MODELS = ["shop.Product"]``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=50)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    name = models.CharField(max_length=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Invoice(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="invoices")
    number = models.CharField(max_length=20)
    paid = models.BooleanField(default=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="invoices")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product}"
