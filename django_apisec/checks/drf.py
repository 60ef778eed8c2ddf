"""Django REST Framework checks (``apisec.E1xx`` / ``apisec.W1xx``).

Permissions, renderers, authentication, the exception handler and importable class settings;
throttling and pagination are in :mod:`django_apisec.checks.drf_limits`. Settings and classes are
read as :mod:`django_apisec.checks.introspection` describes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.functional import Promise
from rest_framework.settings import IMPORT_STRINGS

from django_apisec.checks.introspection import (
    as_items,
    defined_by,
    dotted_name,
    is_configured,
    lineage,
    load,
    loaded_items,
    rest_framework_setting,
)
from django_apisec.checks.registry import config_check, deploy_check, emit, error, warning
from django_apisec.dotted_paths import BROWSABLE_API_RENDERER, EXCEPTION_HANDLER, PUBLIC_DECORATOR

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E101 = error(
    "apisec.E101",
    "REST_FRAMEWORK['DEFAULT_PERMISSION_CLASSES'] {reason}: every API view that does not set its "
    "own permission_classes is open to anonymous clients.",
    "Set REST_FRAMEWORK['DEFAULT_PERMISSION_CLASSES'] = "
    "['rest_framework.permissions.IsAuthenticated'] and mark the few public views with "
    f"@{PUBLIC_DECORATOR}.",
)
W102 = warning(
    "apisec.W102",
    "REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'] includes the browsable API ({name}): it renders "
    "HTML forms for every endpoint and makes the API explorable from a browser session.",
    "Render JSON only in production: REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'] = "
    "['rest_framework.renderers.JSONRenderer'] (harden(profile='production') does).",
)
W109 = warning(
    "apisec.W109",
    "REST_FRAMEWORK['DEFAULT_AUTHENTICATION_CLASSES'] includes {name}: the password travels with "
    "every request, each request costs a password hash, and login throttling and lockout are "
    "bypassed.",
    "Remove BasicAuthentication; use 'rest_framework_simplejwt.authentication."
    "JWTAuthentication' for API clients.",
)
W110 = warning(
    "apisec.W110",
    "REST_FRAMEWORK['DEFAULT_AUTHENTICATION_CLASSES'] includes {name} with DRF's authtoken "
    "model: tokens are stored in clear in the database and never expire.",
    "Use 'rest_framework_simplejwt.authentication.JWTAuthentication' (short-lived access "
    "tokens), or a token model that stores only a hash and an expiry.",
)
W111 = warning(
    "apisec.W111",
    "REST_FRAMEWORK['EXCEPTION_HANDLER'] is {name}, not django_apisec's: error responses have "
    "no stable shape and unhandled exceptions fall through to Django's 500 page.",
    f"Set REST_FRAMEWORK['EXCEPTION_HANDLER'] = '{EXCEPTION_HANDLER}', "
    "or call it from your own handler.",
)
E112 = error(
    "apisec.E112",
    "{where} {reason}: DRF raises when it loads this setting, so requests fail.",
    "Fix the dotted path (module.Class) or the value's type: class settings ending in _CLASSES "
    "or _BACKENDS are lists of paths, the others a single path; REST_FRAMEWORK is a dict.",
)

ALLOW_ANY = "rest_framework.permissions.AllowAny"
OR_OPERATOR = "rest_framework.permissions.OR"
AND_OPERATOR = "rest_framework.permissions.AND"
BASIC_AUTHENTICATION = "rest_framework.authentication.BasicAuthentication"
TOKEN_AUTHENTICATION = "rest_framework.authentication.TokenAuthentication"  # noqa: S105


def allows_anyone(permission: Any) -> bool:
    """Whether a permission class, or a ``|``/``&`` composition of them, admits every request."""
    if isinstance(permission, type):
        return ALLOW_ANY in lineage(permission)
    operator = lineage(getattr(permission, "operator_class", None))
    first = getattr(permission, "op1_class", None)
    second = getattr(permission, "op2_class", None)
    if OR_OPERATOR in operator:
        return allows_anyone(first) or allows_anyone(second)
    if AND_OPERATOR in operator:
        return allows_anyone(first) and allows_anyone(second)
    # NOT and anything unknown: assume it restricts.
    return False


@deploy_check
def check_default_permissions(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E101: the default permission must not admit anonymous clients."""
    name = "DEFAULT_PERMISSION_CLASSES"
    if not is_configured(name):
        return [emit(E101, reason="is not set (DRF's default is AllowAny)")]
    items = as_items(rest_framework_setting(name))
    if not items:
        return [emit(E101, reason="is empty")]
    loaded = loaded_items(name)
    # DRF requires every listed permission: AllowAny next to IsAuthenticated changes nothing.
    if len(loaded) == len(items) and all(allows_anyone(item) for item in loaded):
        return [emit(E101, reason="only admits everyone (AllowAny)")]
    return []


@deploy_check
def check_browsable_api(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W102: no HTML browsable API in production."""
    return [
        emit(W102, name=dotted_name(renderer))
        for renderer in loaded_items("DEFAULT_RENDERER_CLASSES")
        if BROWSABLE_API_RENDERER in lineage(renderer)
    ]


@deploy_check
def check_basic_authentication(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W109: no HTTP Basic authentication by default."""
    return [
        emit(W109, name=dotted_name(backend))
        for backend in loaded_items("DEFAULT_AUTHENTICATION_CLASSES")
        if BASIC_AUTHENTICATION in lineage(backend)
    ]


@deploy_check
def check_token_authentication(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W110: no DRF authtoken tokens (clear text, never expire)."""
    return [
        emit(W110, name=dotted_name(backend))
        for backend in loaded_items("DEFAULT_AUTHENTICATION_CLASSES")
        if TOKEN_AUTHENTICATION in lineage(backend)
        # A subclass with its own model or get_model() stores tokens its own way.
        and getattr(backend, "model", None) is None
        and defined_by(backend, "get_model") == TOKEN_AUTHENTICATION
    ]


@deploy_check
def check_exception_handler(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W111: django_apisec's exception handler shapes API errors."""
    value = rest_framework_setting("EXCEPTION_HANDLER")
    name = str(value) if isinstance(value, (str, Promise)) else dotted_name(value)
    return [] if name == EXCEPTION_HANDLER else [emit(W111, name=name)]


def _import_problems(name: str, value: Any) -> list[str]:
    is_list = name.endswith(("_CLASSES", "_BACKENDS"))
    if is_list != isinstance(value, (list, tuple)) and not (value is None and not is_list):
        expected = "a list or tuple of dotted paths" if is_list else "one dotted path or class"
        return [f"is {value!r}, not {expected}"]
    problems = []
    for item in as_items(value):
        obj, reason = load(item)
        if reason is not None:
            problems.append(f"names {item!r}, which cannot be imported ({reason})")
        elif not callable(obj):
            problems.append(f"contains {item!r}, which is not a class or function")
    return problems


@config_check
def check_importable(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E112: REST_FRAMEWORK is a dict whose class settings all import."""
    configured = getattr(settings, "REST_FRAMEWORK", {})
    if not isinstance(configured, Mapping):
        return [emit(E112, where="REST_FRAMEWORK", reason=f"is {configured!r}, not a dict")]
    return [
        emit(E112, where=f"REST_FRAMEWORK[{name!r}]", reason=problem)
        for name in IMPORT_STRINGS
        if name in configured
        for problem in _import_problems(name, configured[name])
    ]
