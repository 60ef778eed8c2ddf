"""Abuse-control state checks (``apisec.E4xx`` / ``apisec.W4xx``): caches, lockout, throttles.

Throttles and lockout counters only hold their limits when every worker process shares one store
with atomic increments, the lockout backend is in use and every throttle has a rate. These checks
read the configuration only: nothing here connects to a cache. The proxy trust checks of the same
range are in :mod:`django_apisec.checks.proxies`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import import_string

from django_apisec.abuse.backends import LockoutModelBackend
from django_apisec.abuse.throttling import RateThrottle, throttle_rates
from django_apisec.checks.registry import config_check, deploy_check, emit, error, warning
from django_apisec.conf import apisec_settings
from django_apisec.dotted_paths import LOCKOUT_BACKEND

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

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
E413 = error(
    "apisec.E413",
    "APISEC_FAILURE_POLICY is 'open': while the abuse-control cache is unreachable, every "
    "throttle admits everything and failed logins are not counted (an attacker who can slow "
    "or crash the cache gets unlimited password guesses).",
    "Remove APISEC_FAILURE_POLICY (the default 'closed' answers 503 with Retry-After while the "
    "cache is down). Keeping 'open' in production means silencing apisec.E413 deliberately.",
)
E414 = error(
    "apisec.E414",
    "No backend in AUTHENTICATION_BACKENDS enforces the account lockout: authenticate() (the "
    "admin, every login view) checks any number of password guesses per account.",
    f"Put '{LOCKOUT_BACKEND}' in AUTHENTICATION_BACKENDS instead of "
    "'django.contrib.auth.backends.ModelBackend' (harden() does this when the project sets none).",
)
E415 = error(
    "apisec.E415",
    "REST_FRAMEWORK['DEFAULT_THROTTLE_CLASSES'] includes {name}, whose scope {scope!r} has no "
    "rate in DEFAULT_THROTTLE_RATES: django_apisec's throttles limit nothing without one.",
    "Add a rate for the scope, e.g. REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'][{scope!r}] = "
    "'60/min' (harden() fills 'anon' and 'user').",
)

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


def ratelimit_enabled() -> bool:
    """Whether django-ratelimit enforces anything (``RATELIMIT_ENABLE``, default on)."""
    return bool(getattr(settings, "RATELIMIT_ENABLE", True))


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
def check_failure_policy(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E413: abuse controls fail closed when their cache is down."""
    return [E413] if apisec_settings.FAILURE_POLICY == "open" else []


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
