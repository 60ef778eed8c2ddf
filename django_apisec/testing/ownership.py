"""A test helper for projects: prove that a viewset never lets one user reach another's object.

::

    from django_apisec.testing import assert_owner_isolation

    def test_notes_are_private(db):
        assert_owner_isolation(
            NoteViewSet, "/api/notes/",
            owner=alice, intruder=bob,
            make_object=lambda user: Note.objects.create(owner=user, title="t"),
            payload={"title": "changed"},
        )
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.forms.models import model_to_dict
from rest_framework.test import APIClient

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from django.db.models import Model

__all__ = ["assert_owner_isolation"]

DETAIL_METHODS = ("get", "put", "patch", "delete")


def _snapshot(obj: Model) -> dict[str, Any]:
    fresh = type(obj)._default_manager.filter(pk=obj.pk).first()
    assert fresh is not None, f"{obj!r} was deleted by another user's request"
    return model_to_dict(fresh)


def assert_owner_isolation(
    viewset: type[Any],
    base_url: str,
    *,
    owner: Any,
    intruder: Any,
    make_object: Callable[[Any], Model],
    payload: Mapping[str, Any] | None = None,
    client_class: type[APIClient] = APIClient,
) -> None:
    """Assert that ``intruder`` cannot see or change an object ``owner`` owns, on every route.

    Covers the list (the object is absent and ``count`` excludes it), retrieve, update, partial
    update, destroy and every extra detail action of ``viewset`` (found with
    ``get_extra_actions()``): each must answer exactly like a missing id (same status, same body)
    and leave the object unchanged. ``payload`` is sent with the writes.
    """
    target = make_object(owner)
    before = _snapshot(target)
    client = client_class()
    client.force_authenticate(intruder)
    missing_pk = (
        (type(target)._default_manager.order_by("-pk").values_list("pk", flat=True)[0]) + 10_000
    )
    base = base_url.rstrip("/") + "/"

    listing = client.get(base)
    if listing.status_code == 200:
        body = listing.json()
        rows = body.get("results", body) if isinstance(body, dict) else body
        assert all(row.get("id") != target.pk for row in rows), "the list shows the object"

    routes = [(method, "") for method in DETAIL_METHODS]
    for extra in viewset.get_extra_actions():
        if extra.detail:
            routes += [(method, f"{extra.url_path}/") for method in extra.mapping]
    for method, suffix in routes:
        data = dict(payload or {}) if method in ("put", "patch", "post") else None
        foreign = getattr(client, method)(f"{base}{target.pk}/{suffix}", data)
        missing = getattr(client, method)(f"{base}{missing_pk}/{suffix}", data)
        assert (foreign.status_code, foreign.content) == (missing.status_code, missing.content), (
            f"{method.upper()} {base}{target.pk}/{suffix} answers {foreign.status_code} "
            f"{foreign.content!r}; a missing id answers {missing.status_code} {missing.content!r}"
        )
        assert _snapshot(target) == before, f"{method.upper()} {suffix or 'detail'} changed it"
