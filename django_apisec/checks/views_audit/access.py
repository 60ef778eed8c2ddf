"""apisec.E501 (anonymous access without ``@public``) and E502 (detail routes without scoping)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import OR, BasePermission, OperandHolder, SingleOperandHolder
from rest_framework.request import Request

from django_apisec.checks.registry import emit, error
from django_apisec.checks.views_audit.ownership_map import owner_path, user_model
from django_apisec.checks.views_audit.routes import (
    AUDITED_METHODS,
    ViewRoute,
    distinct_behaviours,
    drf_routes,
    first_per_view,
    names_of,
)
from django_apisec.checks.views_audit.suppressions import audit_check
from django_apisec.dotted_paths import OWNED_QUERYSET_MIXIN, PUBLIC_DECORATOR
from django_apisec.ownership.permissions import is_public

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E501 = error(
    "apisec.E501",
    "{view} at {route} lets anonymous clients through every permission ({methods}) and is "
    "not marked public.",
    "Require authentication (permission_classes = [IsAuthenticated], the hardened default), or, "
    f"if anonymous access is intended, mark the view with @{PUBLIC_DECORATOR}.",
)

E502 = error(
    "apisec.E502",
    "{view} serves the detail route {route} of {model}, which belongs to a user (through "
    "{owner_path}), without scoping objects to the requester: any authenticated user can reach "
    "any user's object by id.",
    f"Add {OWNED_QUERYSET_MIXIN} to the view's bases with owner_field = '{{owner_path}}': it "
    "scopes every action and the relations clients choose (list others in "
    "owned_relations). If you also override get_queryset(), start from "
    "super().get_queryset().",
)

# These backends only filter on what the client sends; none of them scopes to the requester.
NON_SCOPING_FILTER_BACKENDS = frozenset(
    {
        "rest_framework.filters.BaseFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
        "django_filters.rest_framework.backends.DjangoFilterBackend",
        "django_filters.rest_framework.DjangoFilterBackend",
    }
)


def _allowed_methods(view_route: ViewRoute) -> list[str]:
    # A method missing from http_method_names is answered 405 before any permission runs.
    enabled = names_of(getattr(view_route.view_class, "http_method_names", None))
    if view_route.actions is not None:
        return [m for m in AUDITED_METHODS if m in enabled and m in view_route.actions]
    return [m for m in AUDITED_METHODS if m in enabled and hasattr(view_route.view_class, m)]


def _anonymous_request(method: str, route: str) -> Request:
    django_request = RequestFactory().generic(method.upper(), "/" + quote(route))
    request = Request(django_request)
    request.user = AnonymousUser()
    request.auth = None
    return request


def admits_anonymous(view_route: ViewRoute, method: str) -> bool:
    """Whether every permission of the view lets an anonymous ``method`` request through.

    The permissions are evaluated, not pattern-matched, so ``IsAuthenticated | AllowAny`` and a
    ``get_permissions()`` that depends on ``self.action`` give the answer a real request would.
    Anything raising (a permission that needs a real object, a view that cannot be built without
    a request) counts as "not admitted".
    """
    try:
        request = _anonymous_request(method, view_route.route)
        view = view_route.view_class(**view_route.initkwargs)
        view.request = request
        view.args = ()
        view.kwargs = {}
        view.format_kwarg = None
        view.headers = {}
        if view_route.actions is not None:
            view.action_map = view_route.actions  # type: ignore[attr-defined]
            view.action = view_route.actions.get(method)  # type: ignore[attr-defined]
        return all(bool(p.has_permission(request, view)) for p in view.get_permissions())
    except Exception:  # noqa: BLE001 - user code under audit must never crash the check
        return False


def _anonymous_access(view_route: ViewRoute) -> CheckMessage | None:
    if is_public(view_route.view_class):
        return None
    admitted = [m.upper() for m in _allowed_methods(view_route) if admits_anonymous(view_route, m)]
    if not admitted:
        return None
    return emit(
        E501,
        obj=view_route.view_class,
        view=view_route.label,
        route=view_route.route,
        methods=", ".join(admitted),
    )


@audit_check
def check_anonymous_access(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E501: a DRF view anonymous clients get through must be marked ``@public``."""
    return first_per_view(distinct_behaviours(drf_routes()), _anonymous_access)


# --- apisec.E502: object scoping on detail routes -------------------------------------------


def owner_fields(model: Any) -> list[str]:
    """Names of ``model``'s foreign keys (and one-to-one fields) to ``AUTH_USER_MODEL``."""
    users = user_model()
    meta = getattr(model, "_meta", None)
    if users is None or meta is None:
        return []
    return [
        f.name
        for f in meta.get_fields()
        if f.concrete
        and (f.many_to_one or f.one_to_one)
        and getattr(f.remote_field, "model", None) is users
    ]


def _overrides_get_queryset(view_class: type[Any]) -> bool:
    for klass in view_class.__mro__:
        if "get_queryset" in vars(klass):
            return klass is not GenericAPIView
    return False  # pragma: no cover - GenericAPIView defines it


def scopes_objects(permission: Any) -> bool:
    """Whether a permission (class or ``&``/``|``/``~`` composition) checks objects.

    ``A | B`` scopes only when both sides do (an authenticated user passing ``IsAuthenticated``
    would pass the ``OR``); ``A & B`` when either does; ``~A`` never does (it admits everyone
    ``A`` rejects).
    """
    if isinstance(permission, OperandHolder):
        sides = [scopes_objects(permission.op1_class), scopes_objects(permission.op2_class)]
        operator: Any = permission.operator_class
        return all(sides) if operator is OR else any(sides)
    if isinstance(permission, SingleOperandHolder):
        return False
    return (
        isinstance(permission, type)
        and issubclass(permission, BasePermission)
        and permission.has_object_permission is not BasePermission.has_object_permission
    )


def _has_scoping_filter_backend(view_class: type[Any]) -> bool:
    backends = getattr(view_class, "filter_backends", None) or ()
    return any(
        isinstance(backend, type)
        and f"{backend.__module__}.{backend.__qualname__}" not in NON_SCOPING_FILTER_BACKENDS
        for backend in backends
    )


def _is_scoped(view_class: type[Any]) -> bool:
    if getattr(view_class, "owner_field", None):
        return True
    if _overrides_get_queryset(view_class):
        return True
    permissions = getattr(view_class, "permission_classes", None) or ()
    if any(scopes_objects(p) for p in permissions):
        return True
    return _has_scoping_filter_backend(view_class)


def _lookup_kwarg(view_class: type[Any]) -> Any:
    return getattr(view_class, "lookup_url_kwarg", None) or getattr(
        view_class, "lookup_field", "pk"
    )


def _unscoped_detail(view_route: ViewRoute) -> CheckMessage | None:
    view_class = view_route.view_class
    if not issubclass(view_class, GenericAPIView):
        return None
    lookup = _lookup_kwarg(view_class)
    if not isinstance(lookup, str) or lookup not in view_route.kwarg_names:
        return None
    model = getattr(getattr(view_class, "queryset", None), "model", None)
    path = owner_path(model)
    if model is None or path is None or _is_scoped(view_class):
        return None
    return emit(
        E502,
        obj=view_class,
        view=view_route.label,
        route=view_route.route,
        model=model._meta.label,
        owner_path=path,
    )


@audit_check
def check_object_scoping(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E502: a detail route of an owned model must scope objects to the requester."""
    return first_per_view(drf_routes(), _unscoped_detail)
