"""API key checks: a per-key throttle and https (``apisec.E43x``), scopes on views (``W560``).

They apply only when ``ApiKeyAuthentication`` is in use: in
``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`` for E430/E431, on a view for W560.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django_apisec.apikeys.authentication import ApiKeyAuthentication
from django_apisec.apikeys.scopes import declared_scopes
from django_apisec.apikeys.throttling import ApiKeyRateThrottle
from django_apisec.apikeys.views import refuses_api_keys
from django_apisec.checks.introspection import loaded_items
from django_apisec.checks.registry import deploy_check, emit, error, warning
from django_apisec.checks.views_audit.routes import drf_routes, first_per_view
from django_apisec.conf import apisec_settings
from django_apisec.ownership.permissions import is_public

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

    from django_apisec.checks.views_audit.routes import ViewRoute

E430 = error(
    "apisec.E430",
    "API keys authenticate requests (ApiKeyAuthentication) but no per-key throttle limits them: "
    "a leaked or runaway key can send requests as fast as the server answers.",
    "Add 'django_apisec.apikeys.throttling.ApiKeyRateThrottle' to "
    "REST_FRAMEWORK['DEFAULT_THROTTLE_CLASSES'] and a rate, e.g. "
    "DEFAULT_THROTTLE_RATES['api_key'] = '600/min'.",
)
E431 = error(
    "apisec.E431",
    "API keys are accepted over plain http (APISEC_API_KEY_HTTPS_ONLY is False): a key sent "
    "in clear is readable on the network path and stays valid until it is revoked.",
    "Remove APISEC_API_KEY_HTTPS_ONLY (True outside the development profile) or set it to True; "
    "behind a TLS-terminating proxy, set SECURE_PROXY_SSL_HEADER and APISEC_TRUSTED_PROXIES.",
)
W560 = warning(
    "apisec.W560",
    "{view} (route {route!r}) accepts API keys but declares no required_scopes: every key "
    "request to it is refused with 403 api_key_scope.",
    "Declare the scope each method needs, e.g. required_scopes = scopes_for('notes') or "
    "{{'GET': 'notes:read'}} (django_apisec.apikeys.scopes), or refuse keys with "
    "RefuseApiKeysMixin.",
)


def _keys_authenticate(classes: list[Any]) -> bool:
    return any(isinstance(c, type) and issubclass(c, ApiKeyAuthentication) for c in classes)


@deploy_check
def check_api_key_throttle(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E430: key authentication by default needs the per-key throttle by default."""
    if not _keys_authenticate(loaded_items("DEFAULT_AUTHENTICATION_CLASSES")):
        return []
    throttles = loaded_items("DEFAULT_THROTTLE_CLASSES")
    if not throttles:
        return []  # no throttle at all: apisec.E103 says so
    if any(isinstance(t, type) and issubclass(t, ApiKeyRateThrottle) for t in throttles):
        return []
    return [emit(E430)]


@deploy_check
def check_api_key_https(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E431: keys must not be accepted over plain http."""
    if not _keys_authenticate(loaded_items("DEFAULT_AUTHENTICATION_CLASSES")):
        return []
    return [] if apisec_settings.API_KEY_HTTPS_ONLY else [emit(E431)]


def _unscoped_key_view(view_route: ViewRoute) -> CheckMessage | None:
    view_class = view_route.view_class
    if is_public(view_class) or refuses_api_keys(view_class):
        return None
    if not _keys_authenticate(list(view_class.authentication_classes)):
        return None
    if declared_scopes(view_class) is not None:
        return None
    return emit(W560, obj=view_class, view=view_route.label, route=view_route.route)


@deploy_check
def check_api_key_scopes(**kwargs: Any) -> list[CheckMessage]:
    """apisec.W560: a view that accepts API keys declares the scope of each method."""
    return first_per_view(drf_routes(), _unscoped_key_view)
