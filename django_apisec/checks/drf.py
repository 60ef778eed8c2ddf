"""Django REST Framework checks (``apisec.E1xx`` / ``apisec.W1xx``).

Settings are read from ``settings.REST_FRAMEWORK`` on every call, with DRF's own defaults for
the keys a project leaves out; never through ``rest_framework.settings.api_settings``, which
caches what it has read and is copied into DRF classes at import time. An entry may be a dotted
path or the object itself. A path that does not import is reported (``apisec.E112``), never
raised: importing runs the target module, and nothing it raises may crash ``manage.py check``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from rest_framework.settings import DEFAULTS, IMPORT_STRINGS

from django_apisec.checks.registry import config_check, deploy_check, emit, error, warning

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E101 = error(
    "apisec.E101",
    "REST_FRAMEWORK['DEFAULT_PERMISSION_CLASSES'] {reason}: every API view that does not set its "
    "own permission_classes is open to anonymous clients.",
    "Set REST_FRAMEWORK['DEFAULT_PERMISSION_CLASSES'] = "
    "['rest_framework.permissions.IsAuthenticated'] and mark the few public views with "
    "@django_apisec.permissions.public.",
)
W102 = warning(
    "apisec.W102",
    "REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'] includes the browsable API ({name}): it renders "
    "HTML forms for every endpoint and makes the API explorable from a browser session.",
    "Render JSON only in production: REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'] = "
    "['rest_framework.renderers.JSONRenderer'] (harden(profile='production') does).",
)
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
    "Set REST_FRAMEWORK['DEFAULT_PAGINATION_CLASS'] = "
    "'django_apisec.pagination.BoundedPageNumberPagination' and REST_FRAMEWORK['PAGE_SIZE'].",
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
    "'django_apisec.pagination.BoundedPageNumberPagination' with APISEC_MAX_PAGE_SIZE (a "
    "positive integer, default 100).",
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
    "Set REST_FRAMEWORK['EXCEPTION_HANDLER'] = 'django_apisec.exceptions.exception_handler', "
    "or call it from your own handler.",
)
E112 = error(
    "apisec.E112",
    "{where} {reason}: DRF raises when it loads this setting, so requests fail.",
    "Fix the dotted path (module.Class) or the value's type: class settings ending in _CLASSES "
    "or _BACKENDS are lists of paths, the others a single path; REST_FRAMEWORK is a dict.",
)
E113 = error(
    "apisec.E113",
    "REST_FRAMEWORK['NUM_PROXIES'] is not set (None) and throttle class {name} identifies "
    "clients with DRF's get_ident(): it takes the client's own X-Forwarded-For header, so a "
    "client escapes every per-IP limit by sending a new value with each request.",
    "Set REST_FRAMEWORK['NUM_PROXIES'] to the number of reverse proxies in front of the app "
    "(0 when clients connect directly); harden() sets it from APISEC_TRUSTED_PROXIES.",
)

ALLOW_ANY = "rest_framework.permissions.AllowAny"
OR_OPERATOR = "rest_framework.permissions.OR"
AND_OPERATOR = "rest_framework.permissions.AND"
BROWSABLE_API_RENDERER = "rest_framework.renderers.BrowsableAPIRenderer"
BASIC_AUTHENTICATION = "rest_framework.authentication.BasicAuthentication"
TOKEN_AUTHENTICATION = "rest_framework.authentication.TokenAuthentication"  # noqa: S105
BASE_THROTTLE = "rest_framework.throttling.BaseThrottle"
SIMPLE_RATE_THROTTLE = "rest_framework.throttling.SimpleRateThrottle"
PAGE_NUMBER_PAGINATION = "rest_framework.pagination.PageNumberPagination"
LIMIT_OFFSET_PAGINATION = "rest_framework.pagination.LimitOffsetPagination"
CURSOR_PAGINATION = "rest_framework.pagination.CursorPagination"
APISEC_EXCEPTION_HANDLER = "django_apisec.exceptions.exception_handler"
APISEC_PAGINATION = "django_apisec.pagination.BoundedPageNumberPagination"

_UNKNOWN = object()


def rest_framework_setting(name: str) -> Any:
    """``REST_FRAMEWORK[name]`` as DRF reads it now: the project's value, else DRF's default."""
    configured = getattr(settings, "REST_FRAMEWORK", None)
    if isinstance(configured, Mapping) and name in configured:
        return configured[name]
    return DEFAULTS.get(name)


def is_configured(name: str) -> bool:
    """Whether the project sets ``REST_FRAMEWORK[name]`` itself."""
    configured = getattr(settings, "REST_FRAMEWORK", None)
    return isinstance(configured, Mapping) and name in configured


def as_items(value: Any) -> list[Any]:
    """The entries of a list setting; a lone value counts as one entry, ``None`` as none."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def load(value: Any) -> tuple[Any, str | None]:
    """``(object, None)`` for a class, a callable or an importable path; ``(None, reason)`` else."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str):
        try:
            return import_string(value), None
        except Exception as exc:  # noqa: BLE001 - an import runs arbitrary module code
            return None, f"{type(exc).__name__}: {exc}"
    return value, None


def loaded_items(name: str) -> list[Any]:
    """The objects a list setting names; entries that do not import are left to E112."""
    loaded = (load(item) for item in as_items(rest_framework_setting(name)))
    return [obj for obj, reason in loaded if reason is None]


def dotted_name(obj: Any) -> str:
    """``module.QualName`` of a class or function; ``repr()`` of anything else."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        return f"{module}.{qualname}"
    return repr(obj)


def lineage(obj: Any) -> set[str]:
    """Dotted names of a class and all its bases; empty for anything that is not a class."""
    if not isinstance(obj, type):
        return set()
    return {dotted_name(klass) for klass in obj.__mro__}


def definition(cls: type[Any], attribute: str) -> tuple[str, Any] | None:
    """``(dotted name of the defining class, raw value)`` of ``attribute`` in ``cls``'s MRO."""
    for klass in cls.__mro__:
        if attribute in vars(klass):
            return dotted_name(klass), vars(klass)[attribute]
    return None


def defined_by(cls: type[Any], attribute: str) -> str | None:
    """Dotted name of the class in ``cls``'s MRO that defines ``attribute``."""
    found = definition(cls, attribute)
    return found[0] if found else None


def class_value(cls: type[Any], attribute: str) -> Any:
    """What ``attribute`` is on an instance of ``cls``, or ``_UNKNOWN`` when that raises.

    DRF's stock paginators copy ``REST_FRAMEWORK['PAGE_SIZE']`` into a class attribute when DRF
    is first imported, so for those the setting itself is read instead.
    """
    definer, raw = definition(cls, attribute) or ("", None)
    if definer.startswith("rest_framework.") and attribute in {"page_size", "default_limit"}:
        return rest_framework_setting("PAGE_SIZE")
    if not isinstance(raw, property):
        return raw
    try:
        return getattr(cls(), attribute)
    except Exception:  # noqa: BLE001 - a project's property may raise anything
        return _UNKNOWN


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
    if size is _UNKNOWN or size:
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
    if param is _UNKNOWN or not param or bound is _UNKNOWN or bound:
        return []
    return [emit(E108, name=dotted_name(paginator), param=param, bound=bound_attribute)]


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
    return [] if name == APISEC_EXCEPTION_HANDLER else [emit(W111, name=name)]


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
