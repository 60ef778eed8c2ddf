"""Django REST Framework throttling and pagination checks (``apisec.E103``-``E108``, ``E113``).

Throttles bound how many requests a client sends, pagination how many rows one response returns.
Settings and classes are read as :mod:`django_apisec.checks.introspection` describes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from django_apisec.checks.introspection import (
    UNKNOWN,
    as_items,
    class_value,
    defined_by,
    dotted_name,
    lineage,
    load,
    loaded_items,
    rest_framework_setting,
)
from django_apisec.checks.registry import config_check, deploy_check, emit, error
from django_apisec.dotted_paths import BOUNDED_PAGINATION

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E103 = error(
    "apisec.E103",
    "REST_FRAMEWORK['DEFAULT_THROTTLE_CLASSES'] {reason}: clients can send unlimited requests "
    "(brute force, scraping, resource exhaustion).",
    "Set REST_FRAMEWORK['DEFAULT_THROTTLE_CLASSES'] = ['rest_framework.throttling."
    "AnonRateThrottle', 'rest_framework.throttling.UserRateThrottle'] with rates for their "
    "scopes in DEFAULT_THROTTLE_RATES, e.g. {{'anon': '60/min', 'user': '600/min'}}.",
)
E104 = error(
    "apisec.E104",
    "Throttle class {name} {reason}: DRF raises ImproperlyConfigured on every request it "
    "throttles.",
    "Add a rate for the throttle's scope to REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'] (e.g. "
    "{{'anon': '60/min'}}), or give the class a scope or a rate attribute.",
)
E105 = error(
    "apisec.E105",
    "REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']{where} {reason}: DRF raises when a throttle reads "
    "it, so every throttled request fails.",
    "Rates are 'number/period' strings with a period of s, m, h or d (e.g. '100/min', "
    "'1000/day'), in a dict keyed by throttle scope; use None to disable one scope.",
)
E106 = error(
    "apisec.E106",
    "REST_FRAMEWORK['DEFAULT_PAGINATION_CLASS'] is not set: list endpoints return every row in "
    "one response (unbounded resource consumption).",
    f"Set REST_FRAMEWORK['DEFAULT_PAGINATION_CLASS'] = '{BOUNDED_PAGINATION}' and "
    "REST_FRAMEWORK['PAGE_SIZE'].",
)
E107 = error(
    "apisec.E107",
    "The default pagination class {name} has no page size (REST_FRAMEWORK['PAGE_SIZE'] is not "
    "set): DRF then skips pagination and list endpoints return every row.",
    "Set REST_FRAMEWORK['PAGE_SIZE'], e.g. 50, or a page_size on the pagination class.",
)
E108 = error(
    "apisec.E108",
    "The default pagination class {name} lets clients choose the page size with "
    "?{param}= but sets no {bound}: a client can ask for every row in one page.",
    "Set {bound} on the pagination class to a positive integer, or use "
    f"'{BOUNDED_PAGINATION}' with APISEC_MAX_PAGE_SIZE (a positive integer, default 100).",
)
E113 = error(
    "apisec.E113",
    "REST_FRAMEWORK['NUM_PROXIES'] is not set (None) and throttle class {name} identifies "
    "clients with DRF's get_ident(): it takes the client's own X-Forwarded-For header, so a "
    "client escapes every per-IP limit by sending a new value with each request.",
    "Set REST_FRAMEWORK['NUM_PROXIES'] to the number of reverse proxies in front of the app "
    "(0 when clients connect directly); harden() sets it from APISEC_TRUSTED_PROXIES.",
)

BASE_THROTTLE = "rest_framework.throttling.BaseThrottle"
SIMPLE_RATE_THROTTLE = "rest_framework.throttling.SimpleRateThrottle"
PAGE_NUMBER_PAGINATION = "rest_framework.pagination.PageNumberPagination"
LIMIT_OFFSET_PAGINATION = "rest_framework.pagination.LimitOffsetPagination"
CURSOR_PAGINATION = "rest_framework.pagination.CursorPagination"


def _rate_throttles() -> list[type[Any]]:
    return [
        throttle
        for throttle in loaded_items("DEFAULT_THROTTLE_CLASSES")
        if SIMPLE_RATE_THROTTLE in lineage(throttle)
    ]


def _stock_lookup(throttle: type[Any]) -> bool:
    """Whether DRF's own ``get_rate()`` finds ``throttle``'s rate (by scope, in a table)."""
    return not getattr(throttle, "rate", None) and (
        defined_by(throttle, "get_rate") == SIMPLE_RATE_THROTTLE
    )


def _rate_table(throttle: type[Any]) -> Any:
    # DRF's own table is a copy of the setting taken at import; a class may carry its own.
    if defined_by(throttle, "THROTTLE_RATES") == SIMPLE_RATE_THROTTLE:
        return rest_framework_setting("DEFAULT_THROTTLE_RATES")
    return throttle.THROTTLE_RATES


def _switched_off(throttle: type[Any]) -> bool:
    """Whether ``throttle``'s rate is ``None``, which makes DRF admit every request."""
    if not _stock_lookup(throttle):
        return False
    scope = getattr(throttle, "scope", None)
    rates = _rate_table(throttle)
    return isinstance(scope, str) and isinstance(rates, Mapping) and rates.get(scope, 0) is None


@deploy_check
def check_throttling_enabled(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E103: some default throttle must limit requests."""
    items = as_items(rest_framework_setting("DEFAULT_THROTTLE_CLASSES"))
    if not items:
        return [emit(E103, reason="is empty or not set")]
    loaded = loaded_items("DEFAULT_THROTTLE_CLASSES")
    if len(loaded) == len(items) and all(
        SIMPLE_RATE_THROTTLE in lineage(throttle) and _switched_off(throttle) for throttle in loaded
    ):
        return [emit(E103, reason="only names throttles whose rate is None (switched off)")]
    return []


@config_check
def check_throttle_scopes(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E104: every default rate throttle must find its rate."""
    messages = []
    for throttle in _rate_throttles():
        if not _stock_lookup(throttle):
            continue
        scope = getattr(throttle, "scope", None)
        rates = _rate_table(throttle)
        if not scope:
            # ScopedRateThrottle takes its scope from the view, in its own __init__().
            if defined_by(throttle, "__init__") == SIMPLE_RATE_THROTTLE:
                reason = "has neither a scope nor a rate"
                messages.append(emit(E104, name=dotted_name(throttle), reason=reason))
        elif isinstance(scope, str) and isinstance(rates, Mapping) and scope not in rates:
            reason = f"uses scope {scope!r}, which has no rate in DEFAULT_THROTTLE_RATES"
            messages.append(emit(E104, name=dotted_name(throttle), reason=reason))
    return messages


def _rate_parser(scope: Any, throttles: list[type[Any]]) -> Callable[[Any], Any]:
    """The ``parse_rate`` that will read ``scope``'s rate: its throttle's own, else DRF's."""
    owner = next(
        (throttle for throttle in throttles if getattr(throttle, "scope", None) == scope),
        import_string(SIMPLE_RATE_THROTTLE),
    )
    # Bypass __init__(), which would look the rate up; parse_rate() needs no instance state.
    instance: Any = object.__new__(owner)
    parse: Callable[[Any], Any] = instance.parse_rate
    return parse


@config_check
def check_throttle_rates(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E105: every configured rate must parse."""
    rates = rest_framework_setting("DEFAULT_THROTTLE_RATES")
    if not isinstance(rates, Mapping):
        return [emit(E105, where="", reason=f"is {rates!r}, not a dict")]
    throttles = _rate_throttles()
    messages = []
    for scope, rate in rates.items():
        if rate is None:
            continue  # DRF's way of switching one scope off
        try:
            _rate_parser(scope, throttles)(rate)
        except Exception:  # noqa: BLE001 - whatever DRF raises is what requests would hit
            reason = f"is {rate!r}, which DRF cannot parse"
            messages.append(emit(E105, where=f"[{scope!r}]", reason=reason))
    return messages


def _pagination_class() -> type[Any] | None:
    paginator, _reason = load(rest_framework_setting("DEFAULT_PAGINATION_CLASS"))
    known = {PAGE_NUMBER_PAGINATION, LIMIT_OFFSET_PAGINATION, CURSOR_PAGINATION}
    # A paginator not built on DRF's three has unknown knobs: nothing to judge.
    return paginator if lineage(paginator) & known else None


@deploy_check
def check_pagination_enabled(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E106: list endpoints must be paginated by default."""
    return [] if rest_framework_setting("DEFAULT_PAGINATION_CLASS") else [E106]


@deploy_check
def check_page_size(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E107: the default paginator must have a page size."""
    paginator = _pagination_class()
    if paginator is None:
        return []
    attribute = "default_limit" if LIMIT_OFFSET_PAGINATION in lineage(paginator) else "page_size"
    size = class_value(paginator, attribute)
    if size is UNKNOWN or size:
        return []
    return [emit(E107, name=dotted_name(paginator))]


@deploy_check
def check_page_size_bound(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E108: a page size the client chooses must be capped."""
    paginator = _pagination_class()
    if paginator is None:
        return []
    if LIMIT_OFFSET_PAGINATION in lineage(paginator):
        param_attribute, bound_attribute = "limit_query_param", "max_limit"
    else:
        param_attribute, bound_attribute = "page_size_query_param", "max_page_size"
    param = class_value(paginator, param_attribute)
    bound = class_value(paginator, bound_attribute)
    # DRF caps with `if cutoff:`, so 0 means no cap at all.
    if param is UNKNOWN or not param or bound is UNKNOWN or bound:
        return []
    if bound is None and defined_by(paginator, "get_page_size") == BOUNDED_PAGINATION:
        # Ours ignores ?page_size= when its bound is unusable (apisec.E609 reports the setting).
        return []
    return [emit(E108, name=dotted_name(paginator), param=param, bound=bound_attribute)]


@deploy_check
def check_num_proxies(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E113: DRF throttles must not key on a client-supplied X-Forwarded-For."""
    if rest_framework_setting("NUM_PROXIES") is not None:
        return []
    return [
        emit(E113, name=dotted_name(throttle))
        for throttle in loaded_items("DEFAULT_THROTTLE_CLASSES")
        if isinstance(throttle, type) and defined_by(throttle, "get_ident") == BASE_THROTTLE
    ]
