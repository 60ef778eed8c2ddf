"""apisec.W515 (public API schema or docs) and W516 (Django admin): what the deployment shows.

OWASP API9:2023 Improper Inventory Management: a schema served to anyone maps every endpoint,
parameter and field for an attacker; an admin login on the public host invites password spraying
against the most privileged accounts. Both are warnings: each can be a deliberate choice (a public
API's published contract; an admin behind a VPN the code cannot see), recorded with a reason in
``APISEC_AUDIT_SUPPRESSIONS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import URLResolver

from django_apisec.checks.registry import emit, warning
from django_apisec.checks.views_audit.access import admits_anonymous
from django_apisec.checks.views_audit.routes import (
    MAX_INCLUDE_DEPTH,
    ViewRoute,
    drf_routes,
    first_per_view,
    pattern_text,
    root_patterns,
)
from django_apisec.checks.views_audit.suppressions import audit_check

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from django.core.checks import CheckMessage

W515 = warning(
    "apisec.W515",
    "{view} at {route} serves the API's schema or documentation to anonymous clients: every "
    "endpoint, parameter and field is mapped for an attacker.",
    "Require staff access on the schema and docs views (permission_classes = [IsAdminUser]; "
    "drf-spectacular: SPECTACULAR_SETTINGS['SERVE_PERMISSIONS']), or leave them out of the "
    "production URLconf; if the schema is your published contract, record that in "
    "APISEC_AUDIT_SUPPRESSIONS with the reason.",
)

W516 = warning(
    "apisec.W516",
    "The Django admin is mounted at {route} in the production URLconf: its login page is open to "
    "the internet, for password spraying against the most privileged accounts.",
    "Serve the admin only on an internal host or network (a separate ROOT_URLCONF / settings for "
    "an internal instance, or an allowlist at the reverse proxy), and once it is restricted, "
    "record the restriction in APISEC_AUDIT_SUPPRESSIONS as the reason.",
)

# Schema and documentation views of DRF, drf-spectacular and drf-yasg, by dotted class path.
SCHEMA_VIEWS = frozenset(
    {
        "rest_framework.schemas.views.SchemaView",
        "drf_spectacular.views.SpectacularAPIView",
        "drf_spectacular.views.SpectacularSwaggerView",
        "drf_spectacular.views.SpectacularSwaggerSplitView",
        "drf_spectacular.views.SpectacularRedocView",
        "drf_yasg.views.SchemaView",
    }
)


def is_schema_view(view_class: type[Any]) -> bool:
    """Whether the view is (a subclass of) a known schema or API documentation view."""
    return any(f"{k.__module__}.{k.__qualname__}" in SCHEMA_VIEWS for k in view_class.__mro__)


def _public_schema(view_route: ViewRoute) -> CheckMessage | None:
    if not is_schema_view(view_route.view_class) or not admits_anonymous(view_route, "get"):
        return None
    message = emit(W515, obj=view_route.view_class, view=view_route.label, route=view_route.route)
    message.apisec_where = (view_route.view_class, None)  # type: ignore[attr-defined]
    return message


def _admin_routes(patterns: Iterable[Any], prefix: str, depth: int) -> Iterator[str]:
    for entry in patterns:
        if not isinstance(entry, URLResolver):
            continue
        try:
            route = prefix + pattern_text(entry.pattern)
            if entry.app_name == "admin":
                yield route
            elif depth < MAX_INCLUDE_DEPTH:
                yield from _admin_routes(entry.url_patterns, route, depth + 1)
        except Exception:  # noqa: BLE001, S112 - a broken include is Django's own check
            continue


@audit_check
def check_inventory(**kwargs: Any) -> list[CheckMessage]:
    """apisec.W515 (anonymous schema/docs), W516 (the admin in the production URLconf)."""
    messages = first_per_view(drf_routes(), _public_schema)
    for route in list(dict.fromkeys(_admin_routes(root_patterns(), "", 0)))[:1]:
        message = emit(W516, obj=None, route=route)
        message.apisec_route = route  # type: ignore[attr-defined]
        messages.append(message)
    return messages
