"""apisec.E505, E506, E507: what clients may filter, search and order on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import serializers

from django_apisec.checks.registry import emit, error
from django_apisec.checks.views_audit.routes import ViewRoute, drf_routes, first_per_view, names_of
from django_apisec.checks.views_audit.serializers import looks_secret
from django_apisec.checks.views_audit.suppressions import audit_check

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E505 = error(
    "apisec.E505",
    "{view} at {route} sets ordering_fields = '__all__': clients can sort by any column, "
    "including password hashes and tokens, and read them back one bit at a time.",
    "List the columns clients may sort by in ordering_fields, e.g. ordering_fields = "
    "['created_at', 'title'].",
)

E506 = error(
    "apisec.E506",
    "{view} at {route} sets filterset_fields = '__all__': clients can filter on any column, "
    "including password hashes and tokens.",
    "List the columns clients may filter on in filterset_fields.",
)

E507 = error(
    "apisec.E507",
    "{view} at {route} lets clients search, order or filter on secret-looking fields ({fields}): "
    "the response order or count reveals the secret.",
    "Remove {fields} from search_fields, ordering_fields and filterset_fields.",
)

# Word segments that make a name look like a secret in search/ordering/filter lookups.
LOOKUP_SECRET_WORDS = frozenset({"password", "token", "secret", "hash", "key"})
SEARCH_PREFIXES = "^=@$"


def _view_attribute_is_all(
    view_route: ViewRoute, name: str, template: CheckMessage
) -> CheckMessage | None:
    if getattr(view_route.view_class, name, None) != serializers.ALL_FIELDS:
        return None
    return emit(template, obj=view_route.view_class, view=view_route.label, route=view_route.route)


def _lookups(view_class: type[Any]) -> list[str]:
    """Field paths clients can search, order or filter on, as declared on the view."""
    search = [
        n.lstrip(SEARCH_PREFIXES) for n in names_of(getattr(view_class, "search_fields", None))
    ]
    ordering = names_of(getattr(view_class, "ordering_fields", None))
    filterset = getattr(view_class, "filterset_fields", None)
    filters = [k for k in filterset if isinstance(k, str)] if isinstance(filterset, dict) else []
    return list(dict.fromkeys([*search, *ordering, *filters, *names_of(filterset)]))


def _secret_lookups(view_route: ViewRoute) -> CheckMessage | None:
    found = [
        n
        for n in _lookups(view_route.view_class)
        if looks_secret(n, LOOKUP_SECRET_WORDS, frozenset())
    ]
    if not found:
        return None
    return emit(
        E507,
        obj=view_route.view_class,
        view=view_route.label,
        route=view_route.route,
        fields=", ".join(found),
    )


@audit_check
def check_filter_fields(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E505 (ordering on every column), E506 (filtering on every column), E507 (secrets)."""
    routes = drf_routes()
    return [
        *first_per_view(routes, lambda r: _view_attribute_is_all(r, "ordering_fields", E505)),
        *first_per_view(routes, lambda r: _view_attribute_is_all(r, "filterset_fields", E506)),
        *first_per_view(routes, _secret_lookups),
    ]
