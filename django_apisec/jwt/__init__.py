"""JWT sessions: tokens, token families, revocation, authentication, the auth views.

The views are mounted with ``include("django_apisec.urls")``; they are not imported by name.

Import the public names from here (``from django_apisec.jwt import ...``, docs/api.rst). They
are loaded on first access: importing this package imports neither DRF nor a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_apisec import lazy_exports

if TYPE_CHECKING:
    from django_apisec.jwt.authentication import JWTSessionAuthentication
    from django_apisec.jwt.revocation import (
        revoke_all_sessions,
        revoke_family,
    )

__all__ = [
    "JWTSessionAuthentication",
    "revoke_all_sessions",
    "revoke_family",
]

# Grouped by defining module: a module that moves changes one group.
_EXPORTS = {
    # authentication
    "JWTSessionAuthentication": "django_apisec.jwt.authentication",
    # revocation
    "revoke_all_sessions": "django_apisec.jwt.revocation",
    "revoke_family": "django_apisec.jwt.revocation",
}


def __getattr__(name: str) -> object:
    return lazy_exports.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return lazy_exports.names(globals(), _EXPORTS)
