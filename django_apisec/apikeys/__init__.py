"""API keys for machine clients: hashed, scoped, expiring, bound to client networks, throttled per
key, acting as their owner.

Import the public names from here (``from django_apisec.apikeys import ...``, docs/api.rst). They
are loaded on first access: importing this package imports neither DRF nor a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_apisec import lazy_exports

if TYPE_CHECKING:
    from django_apisec.apikeys.authentication import ApiKeyAuthentication
    from django_apisec.apikeys.keys import issue_key, revoke_key, rotate_key
    from django_apisec.apikeys.scopes import ANY_KEY, scopes_for
    from django_apisec.apikeys.throttling import ApiKeyRateThrottle
    from django_apisec.apikeys.views import ApiKeyViewSet, RefuseApiKeysMixin

__all__ = [
    "ANY_KEY",
    "ApiKeyAuthentication",
    "ApiKeyRateThrottle",
    "ApiKeyViewSet",
    "RefuseApiKeysMixin",
    "issue_key",
    "revoke_key",
    "rotate_key",
    "scopes_for",
]

_EXPORTS = {
    # authentication
    "ApiKeyAuthentication": "django_apisec.apikeys.authentication",
    # keys
    "issue_key": "django_apisec.apikeys.keys",
    "revoke_key": "django_apisec.apikeys.keys",
    "rotate_key": "django_apisec.apikeys.keys",
    # scopes
    "ANY_KEY": "django_apisec.apikeys.scopes",
    "scopes_for": "django_apisec.apikeys.scopes",
    # throttling
    "ApiKeyRateThrottle": "django_apisec.apikeys.throttling",
    # views
    "ApiKeyViewSet": "django_apisec.apikeys.views",
    "RefuseApiKeysMixin": "django_apisec.apikeys.views",
}


def __getattr__(name: str) -> object:
    return lazy_exports.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return lazy_exports.names(globals(), _EXPORTS)
