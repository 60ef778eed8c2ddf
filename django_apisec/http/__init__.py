"""Response hardening and errors: the API middleware, body and JSON limits, the error
vocabulary, pagination.

Import the public names from here (``from django_apisec.http import ...``, docs/api.rst). They
are loaded on first access: importing this package imports neither DRF nor a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_apisec import lazy_exports

if TYPE_CHECKING:
    from django_apisec.http.asgi import BodyLimitMiddleware
    from django_apisec.http.csp import ContentSecurityPolicyMiddleware
    from django_apisec.http.errors import csrf_failure
    from django_apisec.http.middleware import ApiSecurityMiddleware
    from django_apisec.http.pagination import BoundedPageNumberPagination
    from django_apisec.http.parsers import JSONParser
    from django_apisec.http.unavailable import ServiceUnavailable

__all__ = [
    "ApiSecurityMiddleware",
    "BodyLimitMiddleware",
    "BoundedPageNumberPagination",
    "ContentSecurityPolicyMiddleware",
    "JSONParser",
    "ServiceUnavailable",
    "csrf_failure",
]

# Grouped by defining module: a module that moves changes one group.
_EXPORTS = {
    # asgi
    "BodyLimitMiddleware": "django_apisec.http.asgi",
    # csp
    "ContentSecurityPolicyMiddleware": "django_apisec.http.csp",
    # errors
    "csrf_failure": "django_apisec.http.errors",
    # middleware
    "ApiSecurityMiddleware": "django_apisec.http.middleware",
    # pagination
    "BoundedPageNumberPagination": "django_apisec.http.pagination",
    # parsers
    "JSONParser": "django_apisec.http.parsers",
    # unavailable
    "ServiceUnavailable": "django_apisec.http.unavailable",
}


def __getattr__(name: str) -> object:
    return lazy_exports.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return lazy_exports.names(globals(), _EXPORTS)
