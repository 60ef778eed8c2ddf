"""The views audit on a second sample project (tests/shop): every hole it reports is real.

The insecure variant (tests/shop/views_insecure.py) has each hole kind in several view styles;
the audit reports each with its id, and an attack by a second user through the test client shows
that user reading or changing the first user's objects. The secure variant (the hints applied)
has no finding, no "could not verify", and the same attacks fail with 404.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from django_apisec.checks import views_audit
from tests.shop import views_insecure as insecure
from tests.shop.models import Customer, Invoice, InvoiceLine, Product, Tag

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

AUDIT_CHECKS = [
    views_audit.check_anonymous_access,
    views_audit.check_object_scoping,
    views_audit.check_serializer_field_lists,
    views_audit.check_serialized_secrets,
    views_audit.check_writable_owner,
    views_audit.check_filter_fields,
    views_audit.check_view_querysets,
    views_audit.check_direct_lookups,
    views_audit.check_inventory,
]

INSECURE_EXPECTED: dict[Any, list[str]] = {
    insecure.CustomerViewSet: ["apisec.E510"],
    insecure.InvoiceLineList: ["apisec.E510"],
    insecure.InvoiceViewSet: ["apisec.E511"],
    insecure.InvoiceTotalView: ["apisec.E511"],
    insecure.customer_detail.cls: ["apisec.E511"],
    insecure.InvoiceLineDetail: ["apisec.E512"],
    insecure.InvoiceList: ["apisec.E512", "apisec.E512"],
}


def audit(urlconf: str) -> list[CheckMessage]:
    with override_settings(ROOT_URLCONF=urlconf):
        return [m for check in AUDIT_CHECKS for m in check()]


def by_view(messages: list[CheckMessage]) -> dict[Any, list[str]]:
    found: dict[Any, list[str]] = defaultdict(list)
    for message in messages:
        found[message.obj].append(message.id)
    return {view: sorted(ids) for view, ids in found.items()}


def test_each_hole_of_the_insecure_shop_is_reported_with_its_id() -> None:
    assert by_view(audit("tests.shop.urls_insecure")) == INSECURE_EXPECTED


def test_the_secure_shop_has_no_finding_at_all() -> None:
    assert audit("tests.shop.urls_secure") == []


def test_the_ownership_map_follows_indirect_owners_and_skips_shared_models() -> None:
    owned = views_audit.ownership_map()
    assert owned[Customer] == "owner"
    assert owned[Invoice] == "customer__owner"
    assert owned[InvoiceLine] == "invoice__customer__owner"
    assert owned[Tag] == "owner"
    assert Product not in owned
    with override_settings(APISEC_SHARED_MODELS=[]):
        # Undeclared, the catalogue is taken for an owner: the shortest path wins.
        assert views_audit.owner_path(InvoiceLine) == "product__created_by"
    with override_settings(APISEC_OWNERSHIP_DEPTH=2):
        assert views_audit.owner_path(InvoiceLine) is None
        assert views_audit.owner_path(Invoice) == "customer__owner"


def test_messages_name_view_route_method_field_model_and_owner_path() -> None:
    messages = audit("tests.shop.urls_insecure")
    texts = {(m.obj, m.id): m for m in messages}
    e510 = texts[(insecure.InvoiceLineList, "apisec.E510")]
    assert "shop/lines/ " in e510.msg
    assert "shop.InvoiceLine (owned through invoice__customer__owner)" in e510.msg
    assert "owner_field = 'invoice__customer__owner'" in e510.hint
    e511 = texts[(insecure.InvoiceViewSet, "apisec.E511")]
    assert "shop/invoices/(?P<pk>[^/.]+)/mark_paid/: " in e511.msg
    assert "mark_paid() looks shop.Invoice up itself (Invoice.objects.get(pk=pk))" in e511.msg
    assert "customer__owner" in e511.hint
    e512 = [m.msg for m in messages if m.obj is insecure.InvoiceList]
    assert any("InvoiceSerializer.tags" in m and "shop.Tag" in m for m in e512)
    assert any("InvoiceSerializer.customer" in m and "shop.Customer" in m for m in e512)
    function = texts[(insecure.customer_detail.cls, "apisec.E511")]
    assert function.msg.startswith("tests.shop.views_insecure.customer_detail at ")


# --- the attacks: bob reaches alice's objects -------------------------------------------------


@pytest.fixture
def shop(alice: Any, bob: Any) -> dict[str, Any]:
    product = Product.objects.create(name="Widget", created_by=alice)
    customers = {
        user: Customer.objects.create(name=f"{user.username}'s customer", owner=user)
        for user in (alice, bob)
    }
    invoices = {
        user: Invoice.objects.create(customer=customers[user], number=f"{user.username}-1")
        for user in (alice, bob)
    }
    lines = {
        user: InvoiceLine.objects.create(invoice=invoices[user], product=product)
        for user in (alice, bob)
    }
    tag = Tag.objects.create(name="alice-secret-tag", owner=alice)
    return {
        "customer": customers[alice],
        "invoice": invoices[alice],
        "line": lines[alice],
        "tag": tag,
        "bob_invoice": invoices[bob],
        "bob_line": lines[bob],
        "bob_customer": customers[bob],
    }


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


INSECURE = pytest.mark.urls("tests.shop.urls_insecure")
SECURE = pytest.mark.urls("tests.shop.urls_secure")


def read_customer_by_id(bob: Any, shop: dict[str, Any]) -> Any:
    return client_for(bob).get(f"/shop/customers/{shop['customer'].pk}/")


def list_lines(bob: Any, shop: dict[str, Any]) -> Any:
    return client_for(bob).get("/shop/lines/")


def mark_paid(bob: Any, shop: dict[str, Any]) -> Any:
    return client_for(bob).post(f"/shop/invoices/{shop['invoice'].pk}/mark_paid/")


def read_total(bob: Any, shop: dict[str, Any]) -> Any:
    return client_for(bob).get(f"/shop/invoices/{shop['invoice'].pk}/total/")


def read_customer_function(bob: Any, shop: dict[str, Any]) -> Any:
    return client_for(bob).get(f"/shop/customer-detail/{shop['customer'].pk}/")


def move_line_into_alices_invoice(bob: Any, shop: dict[str, Any]) -> Any:
    url = f"/shop/lines/{shop['bob_line'].pk}/"
    return client_for(bob).patch(url, {"invoice": shop["invoice"].pk}, format="json")


def create_invoice_with_alices_customer_and_tag(bob: Any, shop: dict[str, Any]) -> Any:
    body = {"customer": shop["customer"].pk, "number": "bob-2", "tags": [shop["tag"].pk]}
    return client_for(bob).post("/shop/invoice-list/", body, format="json")


@INSECURE
def test_e510_attack_bob_reads_alices_customer(bob: Any, shop: dict[str, Any]) -> None:
    response = read_customer_by_id(bob, shop)
    assert response.status_code == 200
    assert response.json()["name"] == "alice's customer"


@INSECURE
def test_e510_attack_bob_lists_alices_invoice_lines(bob: Any, shop: dict[str, Any]) -> None:
    response = list_lines(bob, shop)
    ids = [row["id"] for row in response.json()["results"]]
    assert shop["line"].pk in ids


@INSECURE
def test_e511_attack_bob_marks_alices_invoice_paid(bob: Any, shop: dict[str, Any]) -> None:
    response = mark_paid(bob, shop)
    assert response.status_code == 200
    shop["invoice"].refresh_from_db()
    assert shop["invoice"].paid is True


@INSECURE
def test_e511_attack_bob_reads_alices_invoice_in_an_apiview(bob: Any, shop: dict[str, Any]) -> None:
    response = read_total(bob, shop)
    assert response.status_code == 200
    assert response.json()["number"] == "alice-1"


@INSECURE
def test_e511_attack_bob_reads_alices_customer_in_an_api_view_function(
    bob: Any, shop: dict[str, Any]
) -> None:
    response = read_customer_function(bob, shop)
    assert response.status_code == 200
    assert response.json()["name"] == "alice's customer"


@INSECURE
def test_e512_attack_bob_writes_his_line_into_alices_invoice(
    bob: Any, shop: dict[str, Any]
) -> None:
    response = move_line_into_alices_invoice(bob, shop)
    assert response.status_code == 200
    assert shop["invoice"].lines.filter(pk=shop["bob_line"].pk).exists()


@INSECURE
def test_e512_attack_bob_files_an_invoice_under_alices_customer_and_tag(
    bob: Any, shop: dict[str, Any]
) -> None:
    response = create_invoice_with_alices_customer_and_tag(bob, shop)
    assert response.status_code == 201
    created = Invoice.objects.get(number="bob-2")
    assert created.customer == shop["customer"]
    assert list(created.tags.all()) == [shop["tag"]]


@SECURE
@pytest.mark.parametrize(
    "attack",
    [
        read_customer_by_id,
        mark_paid,
        read_total,
        read_customer_function,
    ],
)
def test_the_secure_shop_answers_404_to_every_attack(
    bob: Any, shop: dict[str, Any], attack: Any
) -> None:
    response = attack(bob, shop)
    assert response.status_code == 404
    shop["invoice"].refresh_from_db()
    assert shop["invoice"].paid is False


@SECURE
def test_the_secure_shop_lists_only_bobs_lines(bob: Any, shop: dict[str, Any]) -> None:
    ids = [row["id"] for row in list_lines(bob, shop).json()["results"]]
    assert ids == [shop["bob_line"].pk]


@SECURE
def test_the_secure_shop_refuses_alices_objects_in_relations(
    bob: Any, shop: dict[str, Any]
) -> None:
    assert move_line_into_alices_invoice(bob, shop).status_code == 400
    response = create_invoice_with_alices_customer_and_tag(bob, shop)
    assert response.status_code == 400
    assert set(response.json()) >= {"customer", "tags"} or "customer" in str(response.json())
    assert not Invoice.objects.filter(number="bob-2").exists()
    assert not shop["invoice"].lines.filter(pk=shop["bob_line"].pk).exists()


@SECURE
def test_the_secure_shop_still_serves_bob(bob: Any, shop: dict[str, Any]) -> None:
    client = client_for(bob)
    assert client.get(f"/shop/invoices/{shop['bob_invoice'].pk}/total/").status_code == 200
    assert client.get(f"/shop/customer-detail/{shop['bob_customer'].pk}/").status_code == 200
    assert client.post(f"/shop/invoices/{shop['bob_invoice'].pk}/mark_paid/").status_code == 200
    assert client.get("/shop/products/").json()["results"][0]["name"] == "Widget"
