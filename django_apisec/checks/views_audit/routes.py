"""Walking the URLconf: every DRF view with the route it is reachable on.

A view class appears once per route a router generates for it; the checks report each problem
once per view class, at the first route where it shows. Include loops are cut at a fixed depth.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from django.core.checks import CheckMessage

WRITE_METHODS = ("post", "put", "patch", "delete")
AUDITED_METHODS = ("get", *WRITE_METHODS)
# A pathological URLconf that includes itself must not recurse until Python gives up.
MAX_INCLUDE_DEPTH = 32


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


def pattern_text(pattern: Any) -> str:
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
            route = prefix + pattern_text(entry.pattern)
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


def root_patterns() -> list[Any]:
    """The root URLconf's patterns; empty when it cannot be loaded (Django's checks say why)."""
    try:
        return list(get_resolver().url_patterns)
    except Exception:  # noqa: BLE001 - an unimportable URLconf is reported by Django's checks
        return []


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


def first_per_view(
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


def distinct_behaviours(routes: Iterable[ViewRoute]) -> Iterator[ViewRoute]:
    """One route per view class and action map: format-suffix twins behave the same."""
    seen: set[tuple[type[APIView], str]] = set()
    for view_route in routes:
        key = (view_route.view_class, repr(sorted(map(str, (view_route.actions or {}).items()))))
        if key not in seen:
            seen.add(key)
            yield view_route


def names_of(value: Any) -> list[str]:
    """A list/tuple/set of names as strings; anything else (a string, None, a callable) as []."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return [item for item in value if isinstance(item, str)]
    return []
