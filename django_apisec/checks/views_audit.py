"""The views audit (``apisec.E5xx`` / ``apisec.W5xx``): walks the URLconf and inspects DRF views.

Every URL pattern of ``get_resolver()`` is visited, through includes, routers and format-suffix
patterns. A DRF view is a callback with a ``cls`` attribute subclassing ``APIView`` (``as_view()``
of views, viewsets and ``@api_view`` functions all set it); anything else is skipped. A view class
appears once per route a router generates for it, so each problem is reported once per view class,
at the first route where it shows, with ``obj`` the view class.

The audit never executes a request: it instantiates permission classes against a fake anonymous
request, and otherwise reads class attributes (``serializer_class``, ``Meta``, declared fields).
Whatever user code raises while being inspected counts as "not found", never as a crash.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import OR, BasePermission, OperandHolder, SingleOperandHolder
from rest_framework.request import Request
from rest_framework.views import APIView

from django_apisec.checks.registry import deploy_check, emit, error, warning
from django_apisec.permissions import is_public

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from django.core.checks import CheckMessage
    from django.db.models import Model

E501 = error(
    "apisec.E501",
    "{view} at {route} lets anonymous clients through every permission ({methods}) and is "
    "not marked public.",
    "Require authentication (permission_classes = [IsAuthenticated], the hardened default), or, "
    "if anonymous access is intended, mark the view with @django_apisec.permissions.public.",
)
E502 = error(
    "apisec.E502",
    "{view} serves the detail route {route} of {model}, which belongs to a user, without "
    "scoping objects to the requester: any authenticated user can reach any user's object by id.",
    "Set owner_field = '<field to the user>' on the view, or override get_queryset() to filter "
    "on request.user, or add a permission class implementing has_object_permission.",
)
E503 = error(
    "apisec.E503",
    "{view} at {route} uses {serializers} with Meta.fields = '__all__': every model column, "
    "including ones added later, is exposed and writable.",
    "List the fields the client may see in Meta.fields, and the ones it may not change in "
    "Meta.read_only_fields.",
)
W504 = warning(
    "apisec.W504",
    "{view} at {route} uses {serializers} with Meta.exclude: every column not on the denylist, "
    "including ones added later, is exposed.",
    "Replace Meta.exclude with an explicit allowlist in Meta.fields.",
)
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
E508 = error(
    "apisec.E508",
    "{view} at {route} serializes secret-looking fields in its responses ({fields}).",
    "Remove them from Meta.fields, or make them write-only: "
    "extra_kwargs = {{'<field>': {{'write_only': True}}}} or a declared field with "
    "write_only=True.",
)
E509 = error(
    "apisec.E509",
    "{view} at {route} lets clients write the owner of an object ({fields}): a client can create "
    "or move objects into another user's account.",
    "Add the owner field to Meta.read_only_fields (or declare it with read_only=True or as a "
    "HiddenField(default=CurrentUserDefault())) and set it from request.user in the view.",
)

WRITE_METHODS = ("post", "put", "patch", "delete")
AUDITED_METHODS = ("get", *WRITE_METHODS)
# Word segments that make a name look like a secret in search/ordering/filter lookups.
LOOKUP_SECRET_WORDS = frozenset({"password", "token", "secret", "hash", "key"})
# In serializer fields "key" alone is too common (dictionary keys, settings); only named keys count.
FIELD_SECRET_WORDS = frozenset({"password", "token", "secret", "hash", "apikey", "privatekey"})
FIELD_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key")})
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
# A pathological URLconf that includes itself must not recurse until Python gives up.
MAX_INCLUDE_DEPTH = 32
SEARCH_PREFIXES = "^=@$"


@dataclass(frozen=True)
class ViewRoute:
    """One URL pattern that resolves to a DRF view."""

    view_class: type[APIView]
    route: str
    kwarg_names: frozenset[str]
    actions: dict[str, str] | None
    initkwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The view's dotted path, for messages.

        ``@api_view`` renames its generated class after the function but leaves ``__qualname__``
        pointing into DRF; the function's name is the one the reader can find.
        """
        name, qualname = self.view_class.__name__, self.view_class.__qualname__
        shown = qualname if qualname.rsplit(".", 1)[-1] == name else name
        return f"{self.view_class.__module__}.{shown}"


def _pattern_text(pattern: Any) -> str:
    """The route of one pattern level, without regex anchors."""
    text = str(pattern)
    text = text.removeprefix("^")
    for anchor in ("\\Z", "$"):
        text = text.removesuffix(anchor)
    return text


def _kwarg_names(pattern: Any) -> frozenset[str]:
    """Named groups of a pattern level: path converters and regex groups compile to both."""
    return frozenset(pattern.regex.groupindex)


def _drf_view_class(callback: Any) -> type[APIView] | None:
    view_class = getattr(callback, "cls", None)
    if isinstance(view_class, type) and issubclass(view_class, APIView):
        return view_class
    return None


def _leaf(entry: Any, route: str, names: frozenset[str]) -> ViewRoute | None:
    if not isinstance(entry, URLPattern):
        return None
    view_class = _drf_view_class(entry.callback)
    if view_class is None:
        return None
    actions = getattr(entry.callback, "actions", None)
    initkwargs = getattr(entry.callback, "initkwargs", None)
    return ViewRoute(
        view_class=view_class,
        route=route,
        kwarg_names=names,
        actions=dict(actions) if isinstance(actions, dict) else None,
        initkwargs=dict(initkwargs) if isinstance(initkwargs, dict) else {},
    )


def _walk(
    patterns: Iterable[Any], prefix: str, kwarg_names: frozenset[str], depth: int
) -> Iterator[ViewRoute]:
    for entry in patterns:
        try:
            route = prefix + _pattern_text(entry.pattern)
            names = kwarg_names | _kwarg_names(entry.pattern)
            if isinstance(entry, URLResolver):
                children, leaf = list(entry.url_patterns), None
            else:
                children, leaf = [], _leaf(entry, route, names)
        except Exception:  # noqa: BLE001, S112 - a broken pattern is Django's own check to report
            continue
        if leaf is not None:
            yield leaf
        elif children and depth < MAX_INCLUDE_DEPTH:
            yield from _walk(children, route, names, depth + 1)


def drf_routes() -> tuple[ViewRoute, ...]:
    """Every URL pattern of the project's URLconf that resolves to a DRF view, in URLconf order."""
    try:
        resolver = get_resolver()
    except Exception:  # noqa: BLE001 - a broken ROOT_URLCONF is reported by Django's checks
        return ()
    return _routes_of(resolver)


# Every audit check walks the same URLconf. A resolver is immutable once its patterns are loaded,
# and Django replaces it (clear_url_caches(), another ROOT_URLCONF), so its identity is the key.
@functools.lru_cache(maxsize=4)
def _routes_of(resolver: URLResolver) -> tuple[ViewRoute, ...]:
    try:
        patterns = list(resolver.url_patterns)
    except Exception:  # noqa: BLE001 - an unimportable URLconf is reported by Django's checks
        return ()
    return tuple(_walk(patterns, "", frozenset(), 0))


def _first_per_view(
    routes: Iterable[ViewRoute], find: Callable[[ViewRoute], CheckMessage | None]
) -> list[CheckMessage]:
    """Run ``find`` on each route until it reports something for that view class.

    Whatever a view, serializer or model class raises while being inspected means "nothing
    found" for that route: the audit reports configurations, it must never crash ``check``.
    """
    reported: set[type[APIView]] = set()
    messages = []
    for view_route in routes:
        if view_route.view_class in reported:
            continue
        try:
            message = find(view_route)
        except Exception:  # noqa: BLE001, S112 - e.g. a Meta.model that is no model
            continue
        if message is not None:
            reported.add(view_route.view_class)
            messages.append(message)
    return messages


# --- apisec.E501: anonymous access ----------------------------------------------------------


def _allowed_methods(view_route: ViewRoute) -> list[str]:
    # A method missing from http_method_names is answered 405 before any permission runs.
    enabled = _names(getattr(view_route.view_class, "http_method_names", None))
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


def _distinct_behaviours(routes: Iterable[ViewRoute]) -> Iterator[ViewRoute]:
    """One route per view class and action map: format-suffix twins behave the same."""
    seen: set[tuple[type[APIView], str]] = set()
    for view_route in routes:
        key = (view_route.view_class, repr(sorted(map(str, (view_route.actions or {}).items()))))
        if key not in seen:
            seen.add(key)
            yield view_route


@deploy_check
def check_anonymous_access(**kwargs: Any) -> list[CheckMessage]:  # noqa: ARG001
    """apisec.E501: a DRF view anonymous clients get through must be marked ``@public``."""
    return _first_per_view(_distinct_behaviours(drf_routes()), _anonymous_access)


# --- apisec.E502: object scoping on detail routes -------------------------------------------


def user_model() -> type[Model] | None:
    """``AUTH_USER_MODEL``, or ``None`` when it is not installed (the audit then skips owners)."""
    try:
        return get_user_model()
    except Exception:  # noqa: BLE001 - a bad AUTH_USER_MODEL is Django's own check
        return None


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
    if model is None or not owner_fields(model) or _is_scoped(view_class):
        return None
    return emit(
        E502,
        obj=view_class,
        view=view_route.label,
        route=view_route.route,
        model=model._meta.label,
    )


@deploy_check
def check_object_scoping(**kwargs: Any) -> list[CheckMessage]:  # noqa: ARG001
    """apisec.E502: a detail route of an owned model must scope objects to the requester."""
    return _first_per_view(drf_routes(), _unscoped_detail)


# --- apisec.E503, W504, E508, E509: serializers ---------------------------------------------


def _nested_serializer_class(
    declared: Any, writable_only: bool
) -> type[serializers.BaseSerializer[Any]] | None:
    if writable_only and getattr(declared, "read_only", False):
        return None
    if isinstance(declared, serializers.ListSerializer):
        declared = declared.child
    if isinstance(declared, serializers.BaseSerializer):
        return type(declared)
    return None


def serializer_classes(
    view_class: type[Any], *, writable_only: bool = False
) -> list[type[serializers.BaseSerializer[Any]]]:
    """The view's ``serializer_class`` and the serializers nested in it, each once.

    With ``writable_only``, nested serializers declared ``read_only=True`` (and what they nest)
    are left out: clients cannot write through them. ``get_serializer_class()`` is not called: it
    often reads ``self.request`` or ``self.action``.
    """
    found: list[type[serializers.BaseSerializer[Any]]] = []
    pending = [getattr(view_class, "serializer_class", None)]
    while pending:
        candidate = pending.pop()
        if (
            not isinstance(candidate, type)
            or not issubclass(candidate, serializers.BaseSerializer)
            or candidate in found
        ):
            continue
        found.append(candidate)
        declared = getattr(candidate, "_declared_fields", None)
        if isinstance(declared, dict):
            pending.extend(_nested_serializer_class(f, writable_only) for f in declared.values())
    return found


def _meta(serializer_class: type[Any]) -> Any:
    return getattr(serializer_class, "Meta", None)


def _model_serializers(view_class: type[Any], *, writable_only: bool = False) -> list[type[Any]]:
    return [
        s
        for s in serializer_classes(view_class, writable_only=writable_only)
        if issubclass(s, serializers.ModelSerializer) and _meta(s) is not None
    ]


def _names(value: Any) -> list[str]:
    """A list/tuple/set of names as strings; anything else (a string, None, a callable) as []."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return [item for item in value if isinstance(item, str)]
    return []


def _serializer_label(serializer_class: type[Any]) -> str:
    return f"{serializer_class.__module__}.{serializer_class.__qualname__}"


def _serializers_where(
    view_route: ViewRoute, template: CheckMessage, predicate: Callable[[Any], bool]
) -> CheckMessage | None:
    matching = [
        _serializer_label(s)
        for s in _model_serializers(view_route.view_class)
        if predicate(_meta(s))
    ]
    if not matching:
        return None
    return emit(
        template,
        obj=view_route.view_class,
        view=view_route.label,
        route=view_route.route,
        serializers=", ".join(matching),
    )


def _all_fields(view_route: ViewRoute) -> CheckMessage | None:
    return _serializers_where(
        view_route, E503, lambda meta: getattr(meta, "fields", None) == serializers.ALL_FIELDS
    )


def _excluded_fields(view_route: ViewRoute) -> CheckMessage | None:
    return _serializers_where(
        view_route, W504, lambda meta: getattr(meta, "exclude", None) is not None
    )


@deploy_check
def check_serializer_field_lists(**kwargs: Any) -> list[CheckMessage]:  # noqa: ARG001
    """apisec.E503 (``fields = '__all__'``), apisec.W504 (``exclude``) on model serializers."""
    routes = drf_routes()
    return _first_per_view(routes, _all_fields) + _first_per_view(routes, _excluded_fields)


def _model_field_names(model: Any) -> list[str]:
    """What ``fields = '__all__'`` expands to: the primary key and every serialized field."""
    meta = model._meta
    names = [meta.pk.name]
    names.extend(f.name for f in (*meta.fields, *meta.many_to_many) if f.serialize)
    return names


def serialized_field_names(serializer_class: type[Any]) -> list[str]:
    """The field names a model serializer has, from ``Meta`` and declared fields only."""
    meta = _meta(serializer_class)
    declared = list(getattr(serializer_class, "_declared_fields", {}))
    fields = getattr(meta, "fields", None)
    exclude = getattr(meta, "exclude", None)
    if fields == serializers.ALL_FIELDS or (fields is None and exclude is not None):
        model = getattr(meta, "model", None)
        names = _model_field_names(model) if model is not None else []
        excluded = set(_names(exclude))
        return [n for n in dict.fromkeys([*names, *declared]) if n not in excluded]
    return list(dict.fromkeys([*_names(fields), *declared]))


def looks_secret(
    name: str,
    words: frozenset[str] = FIELD_SECRET_WORDS,
    pairs: frozenset[tuple[str, str]] = FIELD_SECRET_PAIRS,
) -> bool:
    """Whether a field name or lookup path (``user__password``) names a secret.

    Names are split into ``_``-separated segments and matched segment by segment, so
    ``password_hash`` and ``user__password`` match but ``passwordless`` and ``tokens`` do not.
    """
    segments = [s for s in re.split(r"_+", name.lower()) if s]
    return any(s in words for s in segments) or any(pair in pairs for pair in pairwise(segments))


def _extra_kwarg(meta: Any, name: str, key: str) -> bool:
    extra = getattr(meta, "extra_kwargs", None)
    options = extra.get(name) if isinstance(extra, dict) else None
    return bool(options.get(key)) if isinstance(options, dict) else False


def _secret_fields(serializer_class: type[Any]) -> list[str]:
    meta = _meta(serializer_class)
    declared = serializer_class._declared_fields
    secrets = []
    for name in serialized_field_names(serializer_class):
        field_ = declared.get(name)
        if field_ is not None:
            source = field_.source if isinstance(field_.source, str) else ""
            secret = looks_secret(name) or looks_secret(source.replace(".", "__"))
            write_only = bool(field_.write_only)
        else:
            secret = looks_secret(name)
            write_only = _extra_kwarg(meta, name, "write_only")
        if secret and not write_only:
            secrets.append(f"{serializer_class.__qualname__}.{name}")
    return secrets


def _serialized_secrets(view_route: ViewRoute) -> CheckMessage | None:
    found = [f for s in _model_serializers(view_route.view_class) for f in _secret_fields(s)]
    if not found:
        return None
    return emit(
        E508,
        obj=view_route.view_class,
        view=view_route.label,
        route=view_route.route,
        fields=", ".join(found),
    )


@deploy_check
def check_serialized_secrets(**kwargs: Any) -> list[CheckMessage]:  # noqa: ARG001
    """apisec.E508: a model serializer must not return secret-looking fields."""
    return _first_per_view(drf_routes(), _serialized_secrets)


def _writable_owners(serializer_class: type[Any]) -> list[str]:
    meta = _meta(serializer_class)
    model = getattr(meta, "model", None)
    if model is None:
        return []
    declared = serializer_class._declared_fields
    owners = set(owner_fields(model))
    read_only = set(_names(getattr(meta, "read_only_fields", None)))
    writable = []
    for name in serialized_field_names(serializer_class):
        field_ = declared.get(name)
        if field_ is not None:
            # A declared field writes to its source: ``user = PrimaryKeyRelatedField(source=
            # "owner", ...)`` sets the owner under another name.
            target = field_.source if isinstance(field_.source, str) else name
            is_writable = (
                target in owners
                and not field_.read_only
                and not isinstance(field_, serializers.HiddenField)
            )
        else:
            is_writable = (
                name in owners
                and name not in read_only
                and not _extra_kwarg(meta, name, "read_only")
                and model._meta.get_field(name).editable
            )
        if is_writable:
            writable.append(f"{serializer_class.__qualname__}.{name}")
    return writable


def _owner_writable(view_route: ViewRoute) -> CheckMessage | None:
    view_class = view_route.view_class
    found = [
        f for s in _model_serializers(view_class, writable_only=True) for f in _writable_owners(s)
    ]
    if not found:
        return None
    return emit(
        E509,
        obj=view_route.view_class,
        view=view_route.label,
        route=view_route.route,
        fields=", ".join(found),
    )


@deploy_check
def check_writable_owner(**kwargs: Any) -> list[CheckMessage]:  # noqa: ARG001
    """apisec.E509: a model serializer must not let clients set the owning user."""
    return _first_per_view(drf_routes(), _owner_writable)


# --- apisec.E505, E506, E507: filtering and ordering ----------------------------------------


def _view_attribute_is_all(
    view_route: ViewRoute, name: str, template: CheckMessage
) -> CheckMessage | None:
    if getattr(view_route.view_class, name, None) != serializers.ALL_FIELDS:
        return None
    return emit(template, obj=view_route.view_class, view=view_route.label, route=view_route.route)


def _lookups(view_class: type[Any]) -> list[str]:
    """Field paths clients can search, order or filter on, as declared on the view."""
    search = [n.lstrip(SEARCH_PREFIXES) for n in _names(getattr(view_class, "search_fields", None))]
    ordering = _names(getattr(view_class, "ordering_fields", None))
    filterset = getattr(view_class, "filterset_fields", None)
    filters = [k for k in filterset if isinstance(k, str)] if isinstance(filterset, dict) else []
    return list(dict.fromkeys([*search, *ordering, *filters, *_names(filterset)]))


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


@deploy_check
def check_filter_fields(**kwargs: Any) -> list[CheckMessage]:  # noqa: ARG001
    """apisec.E505 (ordering on every column), E506 (filtering on every column), E507 (secrets)."""
    routes = drf_routes()
    return [
        *_first_per_view(routes, lambda r: _view_attribute_is_all(r, "ordering_fields", E505)),
        *_first_per_view(routes, lambda r: _view_attribute_is_all(r, "filterset_fields", E506)),
        *_first_per_view(routes, _secret_lookups),
    ]
