"""Every constant of django_apisec.dotted_paths names the object it is meant to name."""

from __future__ import annotations

import importlib
from typing import Any

import django
import pytest
from django.utils.module_loading import import_string

from django_apisec import dotted_paths
from django_apisec.abuse.backends import LockoutModelBackend
from django_apisec.abuse.devices import TrustedDeviceMiddleware
from django_apisec.abuse.hashing import Argon2idPasswordHasher
from django_apisec.abuse.throttling import (
    AnonRateThrottle,
    ScopedRateThrottle,
    UserRateThrottle,
    ratelimit_rate,
)
from django_apisec.http.csp import ContentSecurityPolicyMiddleware
from django_apisec.http.errors import csrf_failure
from django_apisec.http.exception_handler import exception_handler
from django_apisec.http.middleware import ApiSecurityMiddleware
from django_apisec.http.pagination import BoundedPageNumberPagination
from django_apisec.http.parsers import JSONParser
from django_apisec.jwt.authentication import JWTSessionAuthentication
from django_apisec.observability.formatting import JsonLinesFormatter
from django_apisec.observability.redaction import RedactingFilter
from django_apisec.ownership.mixins import OwnedQuerysetMixin, get_owned_object_or_404, owned_by
from django_apisec.ownership.permissions import public
from django_apisec.request.addresses import ratelimit_key
from django_apisec.request.request_id import RequestIdFilter

OURS: dict[str, Any] = {
    dotted_paths.API_SECURITY_MIDDLEWARE: ApiSecurityMiddleware,
    dotted_paths.CSP_BACKPORT_MIDDLEWARE: ContentSecurityPolicyMiddleware,
    dotted_paths.TRUSTED_DEVICE_MIDDLEWARE: TrustedDeviceMiddleware,
    dotted_paths.SESSION_AUTHENTICATION: JWTSessionAuthentication,
    dotted_paths.ANON_RATE_THROTTLE: AnonRateThrottle,
    dotted_paths.USER_RATE_THROTTLE: UserRateThrottle,
    dotted_paths.SCOPED_RATE_THROTTLE: ScopedRateThrottle,
    dotted_paths.JSON_PARSER: JSONParser,
    dotted_paths.BOUNDED_PAGINATION: BoundedPageNumberPagination,
    dotted_paths.EXCEPTION_HANDLER: exception_handler,
    dotted_paths.LOCKOUT_BACKEND: LockoutModelBackend,
    dotted_paths.ARGON2ID_HASHER: Argon2idPasswordHasher,
    dotted_paths.CSRF_FAILURE_VIEW: csrf_failure,
    dotted_paths.PUBLIC_DECORATOR: public,
    dotted_paths.OWNED_QUERYSET_MIXIN: OwnedQuerysetMixin,
    dotted_paths.OWNED_BY: owned_by,
    dotted_paths.GET_OWNED_OBJECT_OR_404: get_owned_object_or_404,
    dotted_paths.REQUEST_ID_FILTER: RequestIdFilter,
    dotted_paths.REDACTING_FILTER: RedactingFilter,
    dotted_paths.JSON_LINES_FORMATTER: JsonLinesFormatter,
    dotted_paths.RATELIMIT_KEY: ratelimit_key,
    dotted_paths.RATELIMIT_RATE: ratelimit_rate,
}
MODULES = {dotted_paths.AUTH_URLCONF}
# Import paths (not settings values): the capability package's name, not the defining module's.
IMPORT_PATHS = {
    dotted_paths.PUBLIC_DECORATOR,
    dotted_paths.OWNED_QUERYSET_MIXIN,
    dotted_paths.OWNED_BY,
    dotted_paths.GET_OWNED_OBJECT_OR_404,
}
THIRD_PARTY = {
    dotted_paths.SECURITY_MIDDLEWARE,
    dotted_paths.SESSION_MIDDLEWARE,
    dotted_paths.COMMON_MIDDLEWARE,
    dotted_paths.CSRF_MIDDLEWARE,
    dotted_paths.AUTH_MIDDLEWARE,
    dotted_paths.MESSAGE_MIDDLEWARE,
    dotted_paths.XFRAME_MIDDLEWARE,
    dotted_paths.DJANGO_CSP_MIDDLEWARE,
    dotted_paths.CORS_MIDDLEWARE,
    dotted_paths.BROWSABLE_API_RENDERER,
    dotted_paths.ARGON2_HASHER,
}


def constants() -> dict[str, str]:
    return {name: value for name, value in vars(dotted_paths).items() if name.isupper()}


def test_every_constant_is_checked_here() -> None:
    assert set(constants().values()) == set(OURS) | MODULES | THIRD_PARTY
    assert len(set(constants().values())) == len(constants()), "a path is spelled twice"


@pytest.mark.parametrize("path", sorted(OURS))
def test_our_paths_import_the_intended_object(path: str) -> None:
    assert import_string(path) is OURS[path]


@pytest.mark.parametrize("path", sorted(set(OURS) - IMPORT_PATHS))
def test_our_settings_paths_are_the_defining_modules(path: str) -> None:
    # The checks identify a loaded class by module.QualName and compare it with these.
    obj = OURS[path]
    assert f"{obj.__module__}.{obj.__qualname__}" == path


def test_the_auth_urlconf_imports() -> None:
    assert importlib.import_module(dotted_paths.AUTH_URLCONF).app_name == "apisec_auth"


@pytest.mark.parametrize("path", sorted(THIRD_PARTY))
def test_third_party_paths_import(path: str) -> None:
    if path == dotted_paths.DJANGO_CSP_MIDDLEWARE and django.VERSION < (6, 0):
        pytest.skip("Django < 6.0 has no CSP middleware of its own")
    obj = import_string(path)
    assert f"{obj.__module__}.{obj.__qualname__}" == path
