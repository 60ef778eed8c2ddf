"""apisec.E510, E512, W513: what a view's querysets serve, judged for two different users.

For a view whose ``get_queryset()`` (or a filter backend) is the project's own code, the audit
builds the view twice, for two synthetic users, calls ``filter_queryset(get_queryset())`` and
compiles both querysets to SQL (``as_sql()``, never executed): the same SQL and parameters for
both users means every user gets the same rows (E510). Writable relation fields of the view's
serializer are judged the same way from ``get_serializer()`` (E512). A database query, an
exception or anything else that prevents the comparison is reported as "could not verify" (W513),
never as a crash. Views whose scoping is django_apisec's own (``OwnedQuerysetMixin``) are not
rebuilt: their querysets are scoped by construction.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.test import RequestFactory
from rest_framework.generics import GenericAPIView
from rest_framework.relations import RelatedField
from rest_framework.request import Request

from django_apisec.checks.registry import emit, error, warning
from django_apisec.checks.views_audit.locations import defined_in_project
from django_apisec.checks.views_audit.ownership_map import owner_path, user_model
from django_apisec.checks.views_audit.routes import ViewRoute, distinct_behaviours, drf_routes
from django_apisec.checks.views_audit.suppressions import audit_check
from django_apisec.dotted_paths import OWNED_BY, OWNED_QUERYSET_MIXIN

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from django.core.checks import CheckMessage

E510 = error(
    "apisec.E510",
    "{view} at {route} serves {model} (owned through {owner_path}) from a queryset that is the "
    "same for every user: get_queryset() builds identical SQL for two different users, so any "
    "user reads and changes every user's {model} by id.",
    f"Scope the queryset: use {OWNED_QUERYSET_MIXIN} with owner_field = '{{owner_path}}' and, "
    "if you override get_queryset(), start from super().get_queryset(); or return "
    f"{OWNED_BY}(<queryset>, '{{owner_path}}', self.request.user).",
)

E512 = error(
    "apisec.E512",
    "{view} at {route} accepts {field} (a writable relation to {model}, owned through "
    "{owner_path}) from every {model} row: a client can attach its objects to another user's "
    "{model}, or another user's {model} to its objects, by id.",
    f"Use {OWNED_QUERYSET_MIXIN} on the view (it scopes the relation on its owner path) and list "
    "the field in owned_relations = {{'{name}': '{owner_path}'}}; or give the field a queryset "
    f"filtered on the requester (a RelatedField.get_queryset() returning {OWNED_BY}(..., "
    "'{owner_path}', self.context['request'].user)).",
)

W513 = warning(
    "apisec.W513",
    "{view} at {route}: could not verify that {what} is scoped to the requester: {reason}.",
    "Make get_queryset() / get_serializer() buildable from the request alone (no database query, "
    "no URL kwargs the route lacks), or scope it with OwnedQuerysetMixin, whose scoping the "
    "audit recognises without running it; or suppress this id for the view in "
    "APISEC_AUDIT_SUPPRESSIONS with the reason it is safe.",
)

# Two users the audit builds requests for; never saved (their ids are far from real rows).
SYNTHETIC_USER_IDS = (2_147_483_001, 2_147_483_002)
READ_ACTIONS = frozenset({"list", "retrieve", "update", "partial_update", "destroy"})
WRITE_METHODS = ("post", "put", "patch")


class DatabaseTouched(Exception):  # noqa: N818 - it is a reason, reported as such
    """Raised into code under audit that tries to query the database."""


class CouldNotVerify(Exception):  # noqa: N818 - it is a reason, reported as such
    """Why a view could not be judged; the message is the reason shown in W513."""


@dataclass(frozen=True)
class Judged:
    """The SQL a queryset compiles to for one user; ``None`` when it can return no row."""

    model: Any
    sql: tuple[str, str] | None


def _refuse_queries(*args: Any) -> Any:
    raise DatabaseTouched


@contextlib.contextmanager
def no_database() -> Iterator[None]:
    """Every query on every configured connection raises :class:`DatabaseTouched`."""
    with contextlib.ExitStack() as stack:
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(_refuse_queries))
        yield


def synthetic_user(index: int) -> Any:
    """An unsaved, authenticated user of ``AUTH_USER_MODEL`` (index 0 or 1)."""
    users = user_model()
    if users is None:  # pragma: no cover - the routes are only judged with a user model
        raise CouldNotVerify("AUTH_USER_MODEL is not installed")
    user = users(pk=SYNTHETIC_USER_IDS[index])
    field = getattr(users, "USERNAME_FIELD", "username")
    with contextlib.suppress(Exception):
        setattr(user, field, f"apisec-audit-{index}")
    return user


def build_view(view_route: ViewRoute, method: str, user: Any) -> Any:
    """The view instance a ``method`` request of ``user`` on the route would get."""
    django_request = RequestFactory().generic(method.upper(), "/")
    request = Request(django_request)
    request.user = user
    request.auth = None
    view = view_route.view_class(**view_route.initkwargs)
    view.request = request
    view.args = ()
    # A route's kwargs are there on every request; their values do not depend on the user.
    view.kwargs = dict.fromkeys(view_route.kwarg_names, "1")
    view.format_kwarg = None
    view.headers = {}
    if view_route.actions is not None:
        view.action_map = view_route.actions  # type: ignore[attr-defined]
        view.action = view_route.actions.get(method)  # type: ignore[attr-defined]
    return view


def compiled(queryset: Any) -> Judged:
    """``queryset`` compiled to SQL without running it."""
    if not isinstance(queryset, QuerySet):
        raise CouldNotVerify(f"it returned {type(queryset).__name__}, not a QuerySet")
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return Judged(queryset.model, None)
    return Judged(queryset.model, (sql, repr(params)))


def for_two_users(build: Callable[[Any], Any]) -> tuple[Any, Any]:
    """``build(user)`` for each synthetic user, with the database refused; reasons on failure."""
    results = []
    for index in (0, 1):
        try:
            with no_database():
                results.append(build(synthetic_user(index)))
        except CouldNotVerify:  # noqa: PERF203 - two iterations; each failure is a reason
            raise
        except DatabaseTouched as exc:
            raise CouldNotVerify("it queries the database") from exc
        except Exception as exc:
            raise CouldNotVerify(f"it raised {describe(exc)}") from exc
    return results[0], results[1]


def describe(exc: Exception) -> str:
    """``TypeName: first line of the message`` (at most 120 characters of it)."""
    text = str(exc).splitlines()[0][:120] if str(exc) else ""
    return f"{type(exc).__name__}: {text}".rstrip(": ")


# --- apisec.E510: the view's queryset -----------------------------------------------------------


def _resolved(view_class: type[Any], name: str) -> Any:
    for klass in view_class.__mro__:
        if name in vars(klass):
            return klass
    return None  # pragma: no cover - GenericAPIView defines every name asked for


def _builds_own_queryset(view_class: type[Any]) -> bool:
    """Whether the project's code builds or filters the queryset (else it is known statically)."""
    backends = getattr(view_class, "filter_backends", None) or ()
    return (
        defined_in_project(_resolved(view_class, "get_queryset"))
        or defined_in_project(_resolved(view_class, "filter_queryset"))
        or any(isinstance(b, type) and defined_in_project(b) for b in backends)
    )


def _is_detail(view_route: ViewRoute) -> bool:
    lookup = getattr(view_route.view_class, "lookup_url_kwarg", None) or getattr(
        view_route.view_class, "lookup_field", "pk"
    )
    return isinstance(lookup, str) and lookup in view_route.kwarg_names


def _queryset_methods(view_route: ViewRoute) -> list[str]:
    """Methods of the route that serve rows of the queryset (reads, and writes to an object)."""
    view_class = view_route.view_class
    if view_route.actions is not None:
        return [
            m
            for m, action in view_route.actions.items()
            if action in READ_ACTIONS or (action != "create" and hasattr(view_class, action))
        ]
    detail = _is_detail(view_route)
    return [
        m
        for m in ("get", "put", "patch", "delete")
        if hasattr(view_class, m) and (detail or m == "get")
    ]


def _object_permission_scoped(view_class: type[Any]) -> bool:
    from django_apisec.checks.views_audit.access import scopes_objects  # noqa: PLC0415

    permissions = getattr(view_class, "permission_classes", None) or ()
    return any(scopes_objects(p) for p in permissions)


def _judge_queryset(view_route: ViewRoute, method: str) -> tuple[Judged, Judged]:
    def build(user: Any) -> Judged:
        view = build_view(view_route, method, user)
        return compiled(view.filter_queryset(view.get_queryset()))

    return for_two_users(build)


def queryset_findings(view_route: ViewRoute) -> Iterator[CheckMessage]:
    """E510 or W513 for one route whose queryset the project builds itself."""
    view_class = view_route.view_class
    if not issubclass(view_class, GenericAPIView) or not _builds_own_queryset(view_class):
        return
    if _is_detail(view_route) and _object_permission_scoped(view_class):
        return
    for method in _queryset_methods(view_route):
        try:
            first, second = _judge_queryset(view_route, method)
        except CouldNotVerify as exc:
            yield _could_not_verify(view_route, "get_queryset()", str(exc), "get_queryset")
            return
        path = owner_path(first.model)
        if path is None or first.sql is None or first != second:
            continue
        yield located(
            emit(
                E510,
                obj=view_class,
                view=view_route.label,
                route=view_route.route,
                model=first.model._meta.label,
                owner_path=path,
            ),
            view_class,
            "get_queryset",
        )
        return


def _could_not_verify(view_route: ViewRoute, what: str, reason: str, method: str) -> CheckMessage:
    message = emit(
        W513,
        obj=view_route.view_class,
        view=view_route.label,
        route=view_route.route,
        what=what,
        reason=reason,
    )
    return located(message, view_route.view_class, method)


def located(
    message: CheckMessage, owner: Any, member: str | None, subject: str = ""
) -> CheckMessage:
    """``message`` with what it is about: where (``owner.member``) and which part (``subject``).

    The file and line are looked up only when a report needs them (``manage.py apisec_audit``),
    so ``check`` never reads source files for them.
    """
    message.apisec_where = (owner, member)  # type: ignore[attr-defined]
    message.apisec_subject = subject or member or ""  # type: ignore[attr-defined]
    return message


# --- apisec.E512: writable relations of the serializer -------------------------------------


def _writable_relations(serializer: Any) -> dict[str, Any]:
    child = getattr(serializer, "child", serializer)
    relations = {}
    for name, field in child.fields.items():
        relation: Any = getattr(field, "child_relation", field)
        # A writable relation has a queryset or its own get_queryset() (DRF asserts one of them):
        # either way get_queryset() gives the rows a client may choose from.
        if not field.read_only and isinstance(relation, RelatedField):
            relations[name] = relation
    return relations


def _judge_relations(view_route: ViewRoute, method: str) -> dict[str, tuple[Judged, Judged]]:
    def build(user: Any) -> dict[str, Judged]:
        view = build_view(view_route, method, user)
        relations = _writable_relations(view.get_serializer())
        return {name: compiled(field.get_queryset()) for name, field in relations.items()}

    first, second = for_two_users(build)
    return {name: (first[name], second[name]) for name in first if name in second}


def _write_methods(view_route: ViewRoute) -> list[str]:
    if view_route.actions is not None:
        return [m for m in WRITE_METHODS if m in view_route.actions]
    return [m for m in WRITE_METHODS if hasattr(view_route.view_class, m)]


def _serializer_label(view_class: type[Any]) -> str:
    serializer_class = getattr(view_class, "serializer_class", None)
    return getattr(serializer_class, "__qualname__", "the serializer")


def _relations_key(view_route: ViewRoute, method: str) -> tuple[Any, ...] | None:
    """What the relations depend on when DRF or django_apisec builds the serializer.

    Views sharing a serializer class and a scoping configuration are judged once: a URLconf of a
    thousand viewsets over one serializer costs one judgement, not a thousand.
    """
    view_class = view_route.view_class
    names = ("get_serializer", "get_serializer_class", "get_serializer_context")
    if any(defined_in_project(_resolved(view_class, name)) for name in names):
        return None
    relations = getattr(view_class, "owned_relations", None) or {}
    return (
        getattr(view_class, "serializer_class", None),
        _resolved(view_class, "get_serializer"),
        getattr(view_class, "owner_field", None),
        tuple(sorted(dict(relations).items())),
        getattr(getattr(view_class, "queryset", None), "model", None),
        method,
    )


def relation_findings(
    view_route: ViewRoute, cache: dict[Any, Any] | None = None
) -> Iterator[CheckMessage]:
    """E512 or W513 for the writable relations one route accepts."""
    view_class = view_route.view_class
    users = user_model()
    if not issubclass(view_class, GenericAPIView):
        return
    cache = {} if cache is None else cache
    for method in _write_methods(view_route)[:1]:
        key = _relations_key(view_route, method)
        try:
            if key is not None and key in cache:
                judged = cache[key]
            else:
                judged = _judge_relations(view_route, method)
                if key is not None:
                    cache[key] = judged
        except CouldNotVerify as exc:
            yield _could_not_verify(view_route, "get_serializer()", str(exc), "get_serializer")
            return
        for name, (first, second) in judged.items():
            path = owner_path(first.model)
            if path is None or first.model is users or first.sql is None or first != second:
                continue
            message = emit(
                E512,
                obj=view_class,
                view=view_route.label,
                route=view_route.route,
                field=f"{_serializer_label(view_class)}.{name}",
                name=name,
                model=first.model._meta.label,
                owner_path=path,
            )
            serializer_class = getattr(view_class, "serializer_class", None)
            yield located(message, serializer_class or view_class, None, name)


def _findings_once(
    find: Callable[[ViewRoute], Iterator[CheckMessage]], routes: Any, what: str
) -> list[CheckMessage]:
    """Every finding of ``find``, each (id, view, message) once although routes repeat.

    Whatever the view's class raises while it is inspected (outside the code the audit runs for
    two users, whose failures are reasons already) is a W513 naming it, never a crash.
    """
    seen: set[tuple[Any, ...]] = set()
    messages = []
    for view_route in distinct_behaviours(routes):
        try:
            found = list(find(view_route))
        except Exception as exc:  # noqa: BLE001 - never crash check on code under audit
            reason = f"inspecting the view raised {describe(exc)}"
            found = [_could_not_verify(view_route, f"{what}()", reason, what)]
        for message in found:
            key = (message.id, message.obj, getattr(message, "apisec_subject", ""))
            if key not in seen:
                seen.add(key)
                messages.append(message)
    return messages


def _unscoped_by_e502(view_route: ViewRoute) -> bool:
    from django_apisec.checks.views_audit.access import _unscoped_detail  # noqa: PLC0415

    return _unscoped_detail(view_route) is not None


@audit_check
def check_view_querysets(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E510 (same queryset for every user), E512 (unscoped relations), W513."""
    routes = drf_routes()
    flagged = {r.view_class for r in routes if _safe(_unscoped_by_e502, r)}
    audited = [r for r in routes if r.view_class not in flagged]
    relations = functools.partial(relation_findings, cache={})
    return [
        *_findings_once(queryset_findings, audited, "get_queryset"),
        *_findings_once(relations, audited, "get_serializer"),
    ]


def _safe(predicate: Callable[[ViewRoute], bool], view_route: ViewRoute) -> bool:
    try:
        return predicate(view_route)
    except Exception:  # noqa: BLE001 - as in first_per_view: nothing found
        return False
