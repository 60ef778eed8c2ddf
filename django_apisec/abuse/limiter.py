"""The limiter core: one atomic decision per request, exact across processes and machines.

On Django's ``RedisCache`` a decision is one round trip: a Lua script (GCRA, the generic cell
rate algorithm: one key holding the "theoretical arrival time") runs by ``EVALSHA`` on a redis
client built once per cache alias and kept for the life of the process. Django's own
``RedisCache`` builds a new client object for every operation (and its pools per thread), which is
most of what a DRF throttle or django-ratelimit decision costs.

On any other Django cache with an atomic ``incr`` (memcached, LocMemCache in development) a fixed
window is counted with ``add`` + ``incr``: exact within a window, at most twice the limit across
a window boundary.

When the store fails, the limiter's failure policy decides: ``"closed"`` (the default) refuses
with :class:`LimiterUnavailable` (503, ``Retry-After``), ``"open"`` lets the request through.
Both are logged; neither is ever a 500.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from rest_framework import exceptions, status

from django_apisec.conf import FAILURE_POLICIES, apisec_settings

if TYPE_CHECKING:
    from django.core.cache.backends.base import BaseCache

try:
    from redis.exceptions import NoScriptError
except ImportError:  # pragma: no cover (redis-py is only needed with RedisCache)

    class NoScriptError(Exception):  # type: ignore[no-redef]
        """Stands in when redis-py is not installed (RedisStore is then never built)."""


logger = logging.getLogger("django_apisec.abuse.limiter")

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*", re.IGNORECASE)
_KIND = re.compile(r"[a-z0-9_.-]{1,64}")
#: Seconds a client is asked to wait when the store is down and the policy is closed.
FAILURE_RETRY_AFTER = 10
#: Seconds our redis client waits for a connection or an answer: a decision must not hang a
#: worker when Redis is unreachable (Django's RedisCache waits forever by default).
REDIS_TIMEOUT = 0.5
MICROSECONDS = 1_000_000

# GCRA. KEYS[1]: the key; ARGV: limit, period (s), cost (negative refunds). Times in µs from the
# Redis server's clock, so workers with skewed clocks agree. Returns {allowed, remaining,
# retry_after_us, reset_us}. Rounding of the fractional emission interval is absorbed by a 1 µs
# tolerance.
GCRA_SCRIPT = """
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2]) * 1000000
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = period / limit
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + cost * interval
if cost > 0 and new_tat - period > now + 1 then
  return {0, 0, math.ceil(new_tat - period - now), math.ceil(tat - now)}
end
if new_tat <= now then
  redis.call('DEL', KEYS[1])
  return {1, limit, 0, 0}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
local remaining = math.floor((period - (new_tat - now)) / interval + 0.000001)
return {1, remaining, 0, math.ceil(new_tat - now)}
"""


@dataclass(frozen=True)
class Rate:
    """``limit`` requests per ``period`` seconds."""

    limit: int
    period: int


@functools.lru_cache(maxsize=256)
def _parse_rate_text(value: str) -> Rate:
    match = _RATE.fullmatch(value)
    if match is None:
        raise ImproperlyConfigured(f"Invalid throttle rate {value!r}: use e.g. '10/min'.")
    limit, multiplier, unit = int(match[1]), int(match[2] or 1), match[3].lower()
    if limit < 1 or multiplier < 1:
        raise ImproperlyConfigured(f"Invalid throttle rate {value!r}: both numbers must be > 0.")
    return Rate(limit, multiplier * PERIODS[unit])


def parse_rate(value: object) -> Rate | None:
    """A DRF rate (``"10/min"``, ``"100/hour"``, ``"5/15m"``) as a :class:`Rate`.

    ``None`` means no limit. Anything else that does not parse raises ``ImproperlyConfigured``
    (``apisec.E414`` reports it on every ``manage.py check``).
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ImproperlyConfigured(f"Invalid throttle rate {value!r}: use e.g. '10/min'.")
    return _parse_rate_text(value)  # a pure function of the text: parsed once


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one hit. Times are seconds, rounded up."""

    allowed: bool
    rate: Rate
    remaining: int
    #: Until the next hit would be allowed (0 when allowed).
    retry_after: int
    #: Until the whole quota is available again.
    reset: int


def limiter_key(kind: str, value: str) -> str:
    """A typed, length-safe key: ``apisec:{kind:sha256(value)}``.

    The kind keeps buckets of different meaning apart (an account named ``1.2.3.4`` never shares
    a counter with that IP); the hash makes every key the same length whatever the client sent;
    the braces are a Redis Cluster hash tag.
    """
    if not _KIND.fullmatch(kind):
        raise ValueError(f"Invalid limiter kind {kind!r}")
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"apisec:{{{kind}:{digest}}}"


class LimiterUnavailable(exceptions.APIException):
    """The abuse-control store is down and the failure policy is closed: 503 + ``Retry-After``."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Service temporarily unavailable, try again later."
    default_code = "service_unavailable"

    def __init__(self, wait: int = FAILURE_RETRY_AFTER) -> None:
        super().__init__()
        self.wait = wait


class RedisStore:
    """GCRA in one ``EVALSHA`` over a redis client built once from the cache alias."""

    def __init__(self, backend: RedisCache) -> None:
        self.backend = backend
        self.client = redis_client(backend)

    def run_script(self, script: str, keys: list[str], args: list[Any]) -> Any:
        """Run a Lua ``script`` by ``EVALSHA`` (one round trip); ``keys`` get the cache's prefix.

        The script is loaded on first use on a server (or after ``SCRIPT FLUSH`` / a restart).
        """
        sha = _script_sha(script)
        # Our keys are short and ASCII: the cache's memcached-style validation is not needed.
        full_keys = [self.backend.make_key(key) for key in keys]
        try:
            return self.client.execute_command("EVALSHA", sha, len(keys), *full_keys, *args)
        except NoScriptError:
            self.client.execute_command("SCRIPT", "LOAD", script)
            return self.client.execute_command("EVALSHA", sha, len(keys), *full_keys, *args)

    def hit(self, key: str, rate: Rate, cost: int) -> Decision:
        """Count ``cost`` hits (a negative cost refunds) and decide atomically."""
        result = self.run_script(GCRA_SCRIPT, [key], [rate.limit, rate.period, cost])
        allowed, remaining, retry_us, reset_us = result
        return Decision(
            allowed=bool(allowed),
            rate=rate,
            remaining=int(remaining),
            retry_after=math.ceil(int(retry_us) / MICROSECONDS),
            reset=math.ceil(int(reset_us) / MICROSECONDS),
        )


@functools.cache
def _script_sha(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()  # noqa: S324 (Redis names scripts by SHA-1)


def redis_client(backend: RedisCache) -> Any:
    """A long-lived ``redis.Redis`` for the cache's primary, from its LOCATION and OPTIONS.

    Django's ``RedisCacheClient`` keeps the parsed pool options; its pools are per cache object
    (and so per thread), ours is one per process. redis-py pools are thread-safe and reconnect
    after a fork.
    """
    django_client: Any = backend._cache  # the parsed OPTIONS live there
    servers: list[str] = backend._servers  # type: ignore[attr-defined]
    options = dict(django_client._pool_options)
    options.setdefault("socket_connect_timeout", REDIS_TIMEOUT)
    options.setdefault("socket_timeout", REDIS_TIMEOUT)
    pool = django_client._pool_class.from_url(servers[0], **options)
    return django_client._lib.Redis(connection_pool=pool)


class CacheStore:
    """A fixed window counted with ``add`` + ``incr`` on any Django cache with atomic ``incr``."""

    def __init__(self, alias: str) -> None:
        self.alias = alias

    @property
    def cache(self) -> BaseCache:
        """The cache (Django's handler keeps one per thread)."""
        return caches[self.alias]

    def hit(self, key: str, rate: Rate, cost: int) -> Decision:
        """Count ``cost`` hits in the current window (a negative cost refunds) and decide."""
        now = time.time()
        window = int(now // rate.period)
        window_key = f"{key}:{window}"
        reset = max(1, math.ceil((window + 1) * rate.period - now))
        # The key outlives its window by a second so that a late incr still finds it.
        self.cache.add(window_key, 0, timeout=reset + 1)
        try:
            count = self.cache.incr(window_key, cost)
        except ValueError:  # expired between add and incr
            self.cache.add(window_key, max(cost, 0), timeout=reset + 1)
            count = max(cost, 0)
        allowed = cost <= 0 or count <= rate.limit
        return Decision(
            allowed=allowed,
            rate=rate,
            remaining=max(0, rate.limit - count),
            retry_after=0 if allowed else reset,
            reset=reset if count > 0 else 0,
        )


Store = RedisStore | CacheStore


@functools.cache
def store_for(alias: str) -> Store:
    """The store for a cache alias: built once per process, forgotten when CACHES changes."""
    backend = caches.create_connection(alias)
    if isinstance(backend, RedisCache):
        return RedisStore(backend)
    return CacheStore(alias)


@receiver(setting_changed)
def clear_stores(*, setting: str, **kwargs: Any) -> None:
    """Forget the stores (and their redis clients) when the cache configuration changes."""
    if setting in {"CACHES", "APISEC_CACHE"}:
        store_for.cache_clear()


_last_failure_log = 0.0
FAILURE_LOG_INTERVAL = 10.0


def _log_failure(key: str, policy: str, exc: Exception) -> None:
    # One line per interval per process: an outage must not flood the logs.
    global _last_failure_log  # noqa: PLW0603
    now = time.monotonic()
    if now - _last_failure_log >= FAILURE_LOG_INTERVAL:
        _last_failure_log = now
        logger.error(
            "Abuse-control store %r unreachable; failing %s (key %s)",
            apisec_settings.CACHE,
            policy,
            key,
            exc_info=exc,
        )


def hit(key: str, rate: Rate, *, cost: int = 1, failure_policy: str | None = None) -> Decision:
    """Count a hit against ``key`` at ``rate`` in ``APISEC_CACHE`` and decide.

    ``failure_policy`` (``"open"`` / ``"closed"``, default ``APISEC_FAILURE_POLICY``) says what
    happens when the store fails: open returns an allowing decision, closed raises
    :class:`LimiterUnavailable`.
    """
    try:
        return store_for(apisec_settings.CACHE).hit(key, rate, cost)
    except Exception as exc:  # any store error (connection, timeout, OOM) takes the policy
        policy = failure_policy if failure_policy in FAILURE_POLICIES else None
        policy = policy or apisec_settings.FAILURE_POLICY
        _log_failure(key, policy, exc)
        if policy == "open":
            return Decision(allowed=True, rate=rate, remaining=rate.limit, retry_after=0, reset=0)
        raise LimiterUnavailable from exc
