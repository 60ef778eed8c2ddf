"""Abuse-control state and proxy trust checks (``apisec.E4xx`` / ``apisec.W4xx``).

Throttles and lockout counters only hold their limits when every worker process shares one store
with atomic increments; client addresses and the request scheme are only true when forwarded
headers are believed from declared proxies alone. These checks read the configuration only:
nothing here connects to a cache.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import import_string

from django_apisec.backends import LockoutModelBackend
from django_apisec.checks.registry import config_check, deploy_check, emit, error, warning
from django_apisec.conf import apisec_settings
from django_apisec.proxies import SETTING as TRUSTED_PROXIES
from django_apisec.proxies import parse_network, trusted_proxy_entries, trusted_proxy_networks
from django_apisec.throttling import RateThrottle, throttle_rates

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

    from django_apisec.proxies import IPNetwork

E401 = error(
    "apisec.E401",
    "The cache {alias!r} holding {users} is LocMemCache: every worker process keeps its own "
    "counts, so N workers admit N times each limit and a restart resets every lockout.",
    "Point CACHES[{alias!r}] at Redis, e.g. {{'BACKEND': "
    "'django.core.cache.backends.redis.RedisCache', 'LOCATION': 'redis://127.0.0.1:6379/0'}}.",
)
E402 = error(
    "apisec.E402",
    "The cache {alias!r} holding {users} is DummyCache: it stores nothing, so no request is ever "
    "throttled and no account ever locks.",
    "Point CACHES[{alias!r}] at Redis (django.core.cache.backends.redis.RedisCache).",
)
E403 = error(
    "apisec.E403",
    "The cache {alias!r} holding {users} is {backend}: it has no atomic increment, so concurrent "
    "requests race and admit more than each limit.",
    "Point CACHES[{alias!r}] at Redis (django.core.cache.backends.redis.RedisCache) or memcached.",
)
E404 = error(
    "apisec.E404",
    "APISEC_CACHE names the cache {alias!r}, which is not in CACHES: every throttle and lockout "
    "decision fails at request time.",
    "Add {alias!r} to CACHES (a Redis cache) or set APISEC_CACHE to an existing alias.",
)
W405 = warning(
    "apisec.W405",
    "The cache {alias!r} holding {users} uses the backend {backend!r}, which django_apisec does "
    "not know: limits are only exact on a cache shared by every worker, with atomic increments.",
    "Use Redis or memcached; if this backend is shared and atomic, silence apisec.W405.",
)
E406 = error(
    "apisec.E406",
    "RATELIMIT_USE_CACHE names the cache {alias!r}, which {reason}: django-ratelimit's limits on "
    "non-API views (admin login, plain views) do not hold.",
    "Set RATELIMIT_USE_CACHE to a Redis or memcached cache alias, e.g. the one APISEC_CACHE names.",
)
E407 = error(
    "apisec.E407",
    "RATELIMIT_IP_META_KEY reads the client address from {key}, a request header, and no trusted "
    "proxy is declared: a client sends a new address with each request and is never limited.",
    "Remove RATELIMIT_IP_META_KEY to use REMOTE_ADDR, or declare the proxy that sets {key} in "
    "APISEC_TRUSTED_PROXIES (and make it overwrite, not append to, the header).",
)
E408 = error(
    "apisec.E408",
    "SECURE_PROXY_SSL_HEADER is set but APISEC_TRUSTED_PROXIES is empty: any client can send "
    "{header} and be treated as https (secure cookies, CSRF and redirects trust it).",
    "Declare the TLS-terminating proxy in APISEC_TRUSTED_PROXIES (e.g. ['10.0.0.0/24']) and make "
    "it overwrite the header, or remove SECURE_PROXY_SSL_HEADER when no proxy is in front.",
)
E409 = error(
    "apisec.E409",
    "{setting} is on but APISEC_TRUSTED_PROXIES is empty: any client can choose the host or port "
    "Django sees, poisoning absolute URLs such as password reset links and redirects.",
    "Set {setting} = False, or declare the proxy that sets the header in APISEC_TRUSTED_PROXIES.",
)
E410 = error(
    "apisec.E410",
    "APISEC_TRUSTED_PROXIES {problem}: it is ignored, so requests through that proxy are seen "
    "as coming from the proxy itself (every client shares its limits).",
    "List networks with zero host bits or single addresses, e.g. "
    "APISEC_TRUSTED_PROXIES = ['10.0.0.0/24', '192.0.2.10'] (or '10.0.0.0/24,192.0.2.10').",
)
E411 = error(
    "apisec.E411",
    "APISEC_TRUSTED_PROXIES trusts {network}, which spans far more than a proxy fleet: any "
    "client in it can forge X-Forwarded-For and X-Forwarded-Proto.",
    "List only the addresses of your own proxies or load balancers (at most a /8 for IPv4, a "
    "/16 for IPv6), e.g. ['10.0.0.0/24'].",
)
W412 = warning(
    "apisec.W412",
    "Trusted proxies are declared and SECURE_SSL_REDIRECT is on, but SECURE_PROXY_SSL_HEADER is "
    "not set: behind a TLS-terminating proxy every request looks like http and is redirected "
    "forever.",
    "Set SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https') and make the proxy set "
    "that header (harden() does this when APISEC_TRUSTED_PROXIES is set).",
)

W413 = warning(
    "apisec.W413",
    "APISEC_FAILURE_POLICY is 'open': while the abuse-control cache is unreachable, every "
    "throttle admits everything and failed logins are not counted (an attacker who can slow "
    "or crash the cache gets unlimited password guesses).",
    "Remove APISEC_FAILURE_POLICY (the default 'closed' answers 503 with Retry-After while the "
    "cache is down), or keep 'open' deliberately and silence apisec.W413.",
)
E414 = error(
    "apisec.E414",
    "No backend in AUTHENTICATION_BACKENDS enforces the account lockout: authenticate() (the "
    "admin, every login view) checks any number of password guesses per account.",
    "Put 'django_apisec.backends.LockoutModelBackend' in AUTHENTICATION_BACKENDS instead of "
    "'django.contrib.auth.backends.ModelBackend' (harden() does this when the project sets none).",
)
E415 = error(
    "apisec.E415",
    "REST_FRAMEWORK['DEFAULT_THROTTLE_CLASSES'] includes {name}, whose scope {scope!r} has no "
    "rate in DEFAULT_THROTTLE_RATES: django_apisec's throttles limit nothing without one.",
    "Add a rate for the scope, e.g. REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'][{scope!r}] = "
    "'60/min' (harden() fills 'anon' and 'user').",
)

LOCKOUT_BACKEND = "django_apisec.backends.LockoutModelBackend"
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
DUMMY = "django.core.cache.backends.dummy.DummyCache"
FILE_BASED = "django.core.cache.backends.filebased.FileBasedCache"
DATABASE = "django.core.cache.backends.db.DatabaseCache"
SHARED_ATOMIC_BACKENDS = frozenset(
    {
        "django.core.cache.backends.redis.RedisCache",
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "django.core.cache.backends.memcached.PyLibMCCache",
        "django_redis.cache.RedisCache",
    }
)
BACKEND_ERRORS = {LOCMEM: E401, DUMMY: E402, FILE_BASED: E403, DATABASE: E403}
UNFIT_REASONS = {
    LOCMEM: "keeps its counts per process (LocMemCache)",
    DUMMY: "stores nothing (DummyCache)",
    FILE_BASED: "has no atomic increment (FileBasedCache)",
    DATABASE: "has no atomic increment (DatabaseCache)",
}
DEFAULT_CACHE = "default"
# Widest networks a proxy fleet plausibly needs: 10.0.0.0/8 is the largest private IPv4 block;
# a /16 is wider than any single organisation's IPv6 allocation (ISPs get /19 to /32).
MIN_IPV4_PREFIX = 8
MIN_IPV6_PREFIX = 16
IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
FORWARDED_SETTINGS = ("USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT")


def configured_caches() -> Mapping[str, Any]:
    """``CACHES``, or an empty mapping when it is not one (Django reports that itself)."""
    caches = getattr(settings, "CACHES", {})
    return caches if isinstance(caches, Mapping) else {}


def cache_backend(alias: str) -> object:
    """The ``BACKEND`` of the cache ``alias`` (``None`` when absent); never imported."""
    config = configured_caches().get(alias)
    return config.get("BACKEND") if isinstance(config, Mapping) else None


def drf_throttles_use_default_cache() -> bool:
    """Whether a class in DRF's ``DEFAULT_THROTTLE_CLASSES`` counts in the ``default`` cache.

    DRF's ``SimpleRateThrottle`` and its subclasses count in ``caches['default']``;
    django_apisec's own throttles count in ``APISEC_CACHE``.
    """
    rest_framework = getattr(settings, "REST_FRAMEWORK", {})
    if not isinstance(rest_framework, Mapping):
        return False
    classes = rest_framework.get("DEFAULT_THROTTLE_CLASSES", ())
    if not isinstance(classes, (list, tuple)):
        return False
    return any(not _dotted_name(entry).startswith("django_apisec.") for entry in classes)


def _dotted_name(entry: object) -> str:
    if isinstance(entry, str):
        return entry
    return f"{getattr(entry, '__module__', '')}.{getattr(entry, '__qualname__', '')}"


def abuse_cache_aliases() -> dict[str, str]:
    """The cache aliases holding abuse-control counts, each with who counts there."""
    users: dict[str, list[str]] = {apisec_settings.CACHE: ["throttle and lockout counts"]}
    if drf_throttles_use_default_cache():
        users.setdefault(DEFAULT_CACHE, []).append("DRF's throttle counts")
    return {alias: " and ".join(names) for alias, names in users.items()}


def trusted_proxies_declared() -> bool:
    """Whether the operator declared any proxy; whether it parses is apisec.E410's business."""
    value = getattr(settings, TRUSTED_PROXIES, None)
    if isinstance(value, str):
        return bool(trusted_proxy_entries())
    return bool(value)


def ratelimit_enabled() -> bool:
    """Whether django-ratelimit enforces anything (``RATELIMIT_ENABLE``, default on)."""
    return bool(getattr(settings, "RATELIMIT_ENABLE", True))


def network_problem(entry: str) -> str | None:
    """What is wrong with one ``APISEC_TRUSTED_PROXIES`` entry, or ``None`` when it parses."""
    try:
        parse_network(entry)
    except ValueError as exc:
        return f"entry {entry!r} is not an IP network ({exc})"
    return None


def is_too_wide(network: IPNetwork) -> bool:
    """Whether ``network`` is wider than any proxy fleet (IPv4-mapped IPv6 judged as IPv4)."""
    if isinstance(network, ipaddress.IPv4Network):
        return network.prefixlen < MIN_IPV4_PREFIX
    if network.subnet_of(IPV4_MAPPED):
        return network.prefixlen - IPV4_MAPPED.prefixlen < MIN_IPV4_PREFIX
    return network.prefixlen < MIN_IPV6_PREFIX


@deploy_check
def check_abuse_cache(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E401, E402, E403, W405: abuse-control counts live in a shared, atomic cache."""
    messages: list[CheckMessage] = []
    caches = configured_caches()
    for alias, users in abuse_cache_aliases().items():
        if alias not in caches:
            continue  # apisec.E404, or Django's caches.E001 for "default"
        backend = cache_backend(alias)
        template = BACKEND_ERRORS.get(backend) if isinstance(backend, str) else None
        if template is not None:
            messages.append(emit(template, alias=alias, users=users, backend=backend))
        elif backend not in SHARED_ATOMIC_BACKENDS:
            messages.append(emit(W405, alias=alias, users=users, backend=backend))
    return messages


@config_check
def check_abuse_cache_alias(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E404: APISEC_CACHE names a configured cache."""
    alias = apisec_settings.CACHE
    # A missing "default" is Django's own caches.E001.
    if alias == DEFAULT_CACHE or alias in configured_caches():
        return []
    return [emit(E404, alias=alias)]


@deploy_check
def check_ratelimit_cache(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E406: django-ratelimit counts in a shared, atomic cache."""
    alias = getattr(settings, "RATELIMIT_USE_CACHE", DEFAULT_CACHE)
    # A cache check_abuse_cache already judged is not reported twice.
    if not ratelimit_enabled() or not isinstance(alias, str) or alias in abuse_cache_aliases():
        return []
    if alias not in configured_caches():
        return [emit(E406, alias=alias, reason="is not in CACHES")]
    reason = UNFIT_REASONS.get(str(cache_backend(alias)))
    return [emit(E406, alias=alias, reason=reason)] if reason else []


@deploy_check
def check_ratelimit_ip_key(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E407: django-ratelimit reads a forwarded header only behind a trusted proxy."""
    key = getattr(settings, "RATELIMIT_IP_META_KEY", None)
    # A dotted path or a callable is the project's own function: it cannot be judged here.
    if not isinstance(key, str) or "." in key or not key.startswith("HTTP_"):
        return []
    if not ratelimit_enabled() or trusted_proxies_declared():
        return []
    return [emit(E407, key=key)]


@deploy_check
def check_proxy_ssl_header(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E408: SECURE_PROXY_SSL_HEADER only with trusted proxies."""
    header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not header or trusted_proxies_declared():
        return []
    name = header[0] if isinstance(header, (list, tuple)) else header
    return [emit(E408, header=name)]


@deploy_check
def check_forwarded_host_port(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E409: USE_X_FORWARDED_HOST / USE_X_FORWARDED_PORT only with trusted proxies."""
    if trusted_proxies_declared():
        return []
    enabled = [name for name in FORWARDED_SETTINGS if getattr(settings, name, False)]
    return [emit(E409, setting=name) for name in enabled]


@config_check
def check_trusted_proxies_valid(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E410: every APISEC_TRUSTED_PROXIES entry is an IP network or address."""
    value = getattr(settings, TRUSTED_PROXIES, [])
    if not isinstance(value, (str, list, tuple, set, frozenset)):
        kind = type(value).__name__
        problem = f"must be a list of networks or a comma-separated string, not {kind}"
        return [emit(E410, problem=problem)]
    problems = [network_problem(entry) for entry in trusted_proxy_entries()]
    return [emit(E410, problem=problem) for problem in problems if problem]


@deploy_check
def check_trusted_proxies_width(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E411: no trusted proxy network wide enough to trust (nearly) everyone."""
    return [emit(E411, network=net) for net in trusted_proxy_networks() if is_too_wide(net)]


@deploy_check
def check_ssl_redirect_behind_proxy(**kwargs: Any) -> list[CheckMessage]:
    """apisec.W412: behind trusted proxies, SECURE_SSL_REDIRECT needs SECURE_PROXY_SSL_HEADER."""
    if (
        trusted_proxies_declared()
        and getattr(settings, "SECURE_SSL_REDIRECT", False)
        and not getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    ):
        return [W412]
    return []


@deploy_check
def check_failure_policy(**kwargs: Any) -> list[CheckMessage]:
    """apisec.W413: abuse controls fail closed when their cache is down."""
    return [W413] if apisec_settings.FAILURE_POLICY == "open" else []


def enforces_lockout(entry: object) -> bool:
    """Whether an ``AUTHENTICATION_BACKENDS`` entry is the lockout backend or a subclass of it."""
    if not isinstance(entry, str):
        return False
    if entry == LOCKOUT_BACKEND:
        return True
    try:
        backend = import_string(entry)
    except Exception:  # noqa: BLE001 (a broken path is Django's to report, at login time)
        return False
    return isinstance(backend, type) and issubclass(backend, LockoutModelBackend)


@deploy_check
def check_lockout_backend(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E414: some authentication backend enforces the lockout."""
    backends = getattr(settings, "AUTHENTICATION_BACKENDS", None)
    if isinstance(backends, str) or not isinstance(backends, (list, tuple)):
        backends = []
    return [] if any(enforces_lockout(entry) for entry in backends) else [E414]


def _default_throttles() -> list[type[Any]]:
    """The classes of ``DEFAULT_THROTTLE_CLASSES`` that import (paths or classes)."""
    rest_framework = getattr(settings, "REST_FRAMEWORK", {})
    entries = (
        rest_framework.get("DEFAULT_THROTTLE_CLASSES")
        if isinstance(rest_framework, Mapping)
        else None
    )
    if not isinstance(entries, (list, tuple)):
        return []
    classes = []
    for entry in entries:
        try:
            loaded = import_string(entry) if isinstance(entry, str) else entry
        except Exception:  # noqa: BLE001, S112 (an unimportable class is DRF's error to report)
            continue
        if isinstance(loaded, type):
            classes.append(loaded)
    return classes


@deploy_check
def check_throttle_scope_rates(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E415: each of our default throttles with a fixed scope has a rate."""
    rates = throttle_rates()
    return [
        emit(E415, name=_dotted_name(throttle), scope=throttle.scope)
        for throttle in _default_throttles()
        if issubclass(throttle, RateThrottle)
        and isinstance(throttle.scope, str)
        and throttle.scope not in rates
    ]
