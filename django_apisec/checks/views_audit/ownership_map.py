"""The ownership map: which models hold user-owned data, and the path from each to its owner.

A model is user-owned when a chain of forward relations (foreign keys, one-to-one and
many-to-many fields) of at most ``APISEC_OWNERSHIP_DEPTH`` hops leads from it to
``AUTH_USER_MODEL``: ``Customer.owner``, ``Invoice.customer__owner``,
``InvoiceLine.invoice__customer__owner``. The shortest chain is its owner path (the first declared
field wins a tie), the same lookup path ``OwnedQuerysetMixin.owner_field`` takes. Models listed in
``APISEC_SHARED_MODELS`` are not owned (a product catalogue with a ``created_by``), and no chain
passes through them or through the user model.
"""

from __future__ import annotations

import functools
from collections import deque
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.auth import get_user_model

from django_apisec.conf import apisec_settings

if TYPE_CHECKING:
    from django.db.models import Model


def user_model() -> type[Model] | None:
    """``AUTH_USER_MODEL``, or ``None`` when it is not installed (the audit then skips owners)."""
    try:
        return get_user_model()
    except Exception:  # noqa: BLE001 - a bad AUTH_USER_MODEL is Django's own check
        return None


def _forward_relations(model: type[Model]) -> list[Any]:
    return [
        f
        for f in model._meta.get_fields()
        if f.is_relation
        and f.concrete
        and (f.many_to_one or f.one_to_one or f.many_to_many)
        and isinstance(f.related_model, type)
    ]


def _search(
    model: type[Model], users: type[Model], depth: int, shared: frozenset[str]
) -> str | None:
    pending: deque[tuple[type[Model], tuple[str, ...]]] = deque([(model, ())])
    seen = {model}
    while pending:
        current, path = pending.popleft()
        for field in _forward_relations(current):
            target = field.related_model
            if target is users:
                return "__".join((*path, field.name))
            if target in seen or len(path) + 1 >= depth or target._meta.label_lower in shared:
                continue
            seen.add(target)
            pending.append((target, (*path, field.name)))
    return None


@functools.lru_cache(maxsize=8)
def _map(users: type[Model] | None, depth: int, shared: frozenset[str]) -> dict[type[Model], str]:
    if users is None:
        return {}
    found = {}
    for model in apps.get_models():
        if model is users or model._meta.label_lower in shared:
            continue
        path = _search(model, users, depth, shared)
        if path is not None:
            found[model] = path
    return found


def _current() -> dict[type[Model], str]:
    shared = frozenset(apisec_settings.SHARED_MODELS)
    return _map(user_model(), apisec_settings.OWNERSHIP_DEPTH, shared)


def ownership_map() -> dict[type[Model], str]:
    """Every installed user-owned model and its owner path, in app registry order."""
    return dict(_current())


def owner_path(model: Any) -> str | None:
    """The owner path of ``model`` (``"customer__owner"``), or ``None`` when it is not owned."""
    return _current().get(model) if isinstance(model, type) else None
