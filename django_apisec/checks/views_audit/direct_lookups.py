"""apisec.E511: view methods that look up a user-owned model themselves.

Every method the project defines on a DRF view (actions, ``@action`` methods, ``get``/``post`` of
an ``APIView``, the function of an ``@api_view``) is read as source (``ast``, never run). A
direct lookup is a manager access on a user-owned model — ``Invoice.objects.get(pk=pk)``,
``Invoice.objects.filter(...)`` — or ``get_object_or_404(Invoice, ...)``, unless it is scoped where
it stands: a filter on the model's owner path (``customer__owner=request.user``), or an argument
of :func:`~django_apisec.ownership.owned_by` or
:func:`~django_apisec.ownership.get_owned_object_or_404`. ``self.get_object()`` and
``self.get_queryset()`` are never direct lookups. ``get_queryset()`` itself is judged by E510.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from django_apisec.checks.registry import emit, error
from django_apisec.checks.views_audit.locations import defined_in_project, function_node
from django_apisec.checks.views_audit.ownership_map import owner_path
from django_apisec.checks.views_audit.routes import ViewRoute, drf_routes
from django_apisec.checks.views_audit.scoping import W513, describe, located
from django_apisec.checks.views_audit.suppressions import audit_check
from django_apisec.dotted_paths import GET_OWNED_OBJECT_OR_404, OWNED_BY, OWNED_QUERYSET_MIXIN

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.core.checks import CheckMessage

E511 = error(
    "apisec.E511",
    "{view} at {route}: {method}() looks {model} up itself ({code}) instead of through "
    "self.get_object() / self.get_queryset(): {model} is owned through {owner_path}, and this "
    "lookup is not scoped to the requester, so any user reaches another user's {model} by id "
    "(and a missing id answers 500 where .get() is used).",
    f"Use self.get_object() in a view with {OWNED_QUERYSET_MIXIN} (owner_field = "
    f"'{{owner_path}}'); in a plain APIView or @api_view function use "
    f"{GET_OWNED_OBJECT_OR_404}({{model_name}}.objects.all(), '{{owner_path}}', request.user, "
    f"pk=pk) or {OWNED_BY}(<queryset>, '{{owner_path}}', request.user).",
)

SCOPING_HELPERS = frozenset({"owned_by", "get_owned_object_or_404"})
SHORTCUTS = frozenset({"get_object_or_404", "get_list_or_404"})
# Manager methods that do not read or change existing rows.
NOT_LOOKUPS = frozenset({"create", "bulk_create", "none", "model"})
# Judged by E510, which builds the queryset instead of reading it.
JUDGED_ELSEWHERE = frozenset({"get_queryset"})
MAX_CODE = 60


def _resolve(node: ast.expr, namespace: dict[str, Any]) -> Any:
    """The object a ``Name`` or dotted ``Attribute`` refers to in the function's globals."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, namespace)
        return getattr(base, node.attr, None) if base is not None else None
    return None


def _owned_model(node: ast.expr, namespace: dict[str, Any]) -> type[Model] | None:
    with contextlib.suppress(Exception):
        found = _resolve(node, namespace)
        if isinstance(found, type) and issubclass(found, Model) and owner_path(found):
            return found
    return None


def _manager_names(model: type[Model]) -> set[str]:
    return {m.name for m in model._meta.managers} | {"_default_manager", "_base_manager"}


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _mentions_user(node: ast.AST) -> bool:
    return any(
        (isinstance(n, ast.Attribute) and n.attr == "user")
        or (isinstance(n, ast.Name) and n.id == "user")
        for n in ast.walk(node)
    )


def _filters_on_owner(call: ast.Call, path: str) -> bool:
    """Whether ``call`` has a keyword on the owner path whose value names a user."""
    for keyword in call.keywords:
        name = keyword.arg or ""
        on_path = name == path or name.startswith((f"{path}__", f"{path}_id"))
        if on_path and _mentions_user(keyword.value):
            return True
    return False


class _Lookups:
    """The direct lookups of owned models in one function body."""

    def __init__(self, node: ast.AST, namespace: dict[str, Any]) -> None:
        self.namespace = namespace
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(node):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
        self.node = node

    def _chain(self, node: ast.AST) -> tuple[ast.AST, list[ast.Call], list[str]]:
        """Climb ``Model.objects.filter(...).get(...)`` to its top; its calls and methods."""
        calls: list[ast.Call] = []
        methods: list[str] = []
        while True:
            parent = self.parents.get(node)
            if isinstance(parent, ast.Attribute) and parent.value is node:
                methods.append(parent.attr)
            elif isinstance(parent, ast.Call) and parent.func is node:
                calls.append(parent)
            else:
                return node, calls, methods
            node = parent

    def _inside_helper(self, node: ast.AST) -> bool:
        child, parent = node, self.parents.get(node)
        while parent is not None:
            if (
                isinstance(parent, ast.Call)
                and _called_name(parent) in SCOPING_HELPERS
                and child is not parent.func
            ):
                return True
            child, parent = parent, self.parents.get(parent)
        return False

    def found(self) -> Iterator[tuple[ast.AST, type[Model], str]]:
        """``(node, model, owner_path)`` for each unscoped direct lookup."""
        for node in ast.walk(self.node):
            if isinstance(node, ast.Call) and _called_name(node) in SHORTCUTS and node.args:
                model = _owned_model(node.args[0], self.namespace)
                path = owner_path(model) if model is not None else None
                if model is not None and path and not self._scoped(node, [node], path):
                    yield node, model, path
            elif isinstance(node, ast.Attribute):
                model = _owned_model(node.value, self.namespace)
                if model is None or node.attr not in _manager_names(model):
                    continue
                top, calls, methods = self._chain(node)
                path = owner_path(model) or ""
                if set(methods) <= NOT_LOOKUPS and methods:
                    continue
                if not self._scoped(top, calls, path):
                    yield top, model, path

    def _scoped(self, top: ast.AST, calls: list[ast.Call], path: str) -> bool:
        if any(_filters_on_owner(call, path) for call in calls):
            return True
        return self._inside_helper(top)


def _function_of(value: Any) -> Any:
    """The function a class attribute runs: the view function inside an ``@api_view`` class."""
    func = getattr(value, "__func__", value)
    if getattr(func, "__qualname__", "").startswith("api_view."):
        # DRF's handler calls the decorated function, which it holds in its closure as ``func``.
        return inspect.getclosurevars(func).nonlocals.get("func", func)
    return func


def view_methods(view_class: type[Any]) -> Iterator[tuple[str, Any]]:
    """``(name, function)`` of every method the project's own code defines on the view."""
    seen: set[str] = set()
    functions: set[Any] = set()
    for klass in view_class.__mro__:
        # @api_view's generated class is DRF's, its functions the project's: read those too.
        if not defined_in_project(klass) and klass.__module__ != view_class.__module__:
            continue
        for name, value in vars(klass).items():
            if name in seen or name in JUDGED_ELSEWHERE:
                continue
            seen.add(name)
            func = _function_of(value)
            # @api_view sets one handler for every method: it is read once.
            if hasattr(func, "__code__") and defined_in_project(func) and func not in functions:
                functions.add(func)
                yield name, func


def _code(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= MAX_CODE else text[: MAX_CODE - 3] + "..."


def direct_lookups(
    func: Any, node: ast.FunctionDef | ast.AsyncFunctionDef
) -> list[tuple[int, type[Model], str, str]]:
    """``(line, model, owner path, code)`` of each unscoped direct lookup in ``func`` (``node``)."""
    namespace = getattr(func, "__globals__", {})
    return [
        (getattr(n, "lineno", node.lineno), model, path, _code(n))
        for n, model, path in _Lookups(node, namespace).found()
    ]


def _route_of(routes: list[ViewRoute], name: str) -> str:
    """The route serving method ``name``: an ``@action``'s own route, else the first one."""
    for view_route in routes:
        if name in (view_route.actions or {}).values():
            return view_route.route
    return routes[0].route


def _lookups_of(routes: list[ViewRoute]) -> Iterator[CheckMessage]:
    view_class, label = routes[0].view_class, routes[0].label
    for name, func in view_methods(view_class):
        route = _route_of(routes, name)
        found = function_node(func)
        if found is None:
            reason = "its source cannot be read (a lambda, or code built at run time)"
            yield _could_not_verify(routes[0], route, f"every lookup in {name}()", reason, name)
            continue
        for line, model, path, code in direct_lookups(func, found[1]):
            message = emit(
                E511,
                obj=view_class,
                view=label,
                route=route,
                method=func.__name__,
                model=model._meta.label,
                model_name=model.__name__,
                owner_path=path,
                code=code,
            )
            message.apisec_location = (found[0], line)  # type: ignore[attr-defined]
            message.apisec_subject = f"{name}:{line}"  # type: ignore[attr-defined]
            yield message


@audit_check
def check_direct_lookups(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E511: a view method must not look up owned objects past the view's scoping."""
    messages: list[CheckMessage] = []
    by_view: dict[type[Any], list[ViewRoute]] = {}
    for view_route in drf_routes():
        by_view.setdefault(view_route.view_class, []).append(view_route)
    for routes in by_view.values():
        try:
            messages.extend(_lookups_of(routes))
        except Exception as exc:  # noqa: BLE001, PERF203 - never crash check on code under audit
            reason = f"reading them raised {describe(exc)}"
            what = "every lookup in its methods"
            messages.append(_could_not_verify(routes[0], routes[0].route, what, reason, None))
    return messages


def _could_not_verify(
    view_route: ViewRoute, route: str, what: str, reason: str, method: str | None
) -> CheckMessage:
    """W513 for a view whose methods could not be read."""
    message = emit(
        W513,
        obj=view_route.view_class,
        view=view_route.label,
        route=route,
        what=what,
        reason=reason,
    )
    return located(message, view_route.view_class, method, f"{method or ''}:W513")
