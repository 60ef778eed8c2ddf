"""The limiter core: one atomic decision per request, exact across processes and machines.

On Redis a decision is one round trip: a Lua script (GCRA, the generic cell rate algorithm: one
key holding the "theoretical arrival time") that the store (:mod:`django_apisec.store`) runs by
``EVALSHA`` on its long-lived client. Django's own ``RedisCache`` builds a new client object for
every operation (and its pools per thread), which is most of what a DRF throttle or
django-ratelimit decision costs.

On any other Django cache with an atomic ``incr`` (memcached, LocMemCache in development) a fixed
window is counted with ``add`` + ``incr``: exact within a window, at most twice the limit across
a window boundary.

When the store fails, the failure policy (:mod:`django_apisec.store.failures`) decides:
``"closed"`` (the default) refuses with :class:`LimiterUnavailable` (503, ``Retry-After``),
``"open"`` lets the request through. Both are logged (at most once per 10 s per process);
neither is ever a 500.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django_apisec.http import unavailable
from django_apisec.http.unavailable import ServiceUnavailable
from django_apisec.rates import Rate, parse_rate
from django_apisec.store.backends import Script
from django_apisec.store.failures import FailureLog, StoreFailed, attempt

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.core.cache.backends.base import BaseCache

__all__ = [
    "Decision",
    "LimiterUnavailable",
    "Rate",
    "hit",
    "limiter_key",
    "parse_rate",
]

#: Seconds a client is asked to wait when the store is down and the policy is closed.
FAILURE_RETRY_AFTER = unavailable.FAILURE_RETRY_AFTER
_KIND = re.compile(r"[a-z0-9_.-]{1,64}")
_PART = re.compile(r"[a-z0-9_.-]{0,32}")
MICROSECONDS = 1_000_000

# GCRA. KEYS[1]: the key; ARGV: limit, period (s), cost (negative refunds). Times in µs from the
# Redis server's clock, so workers with skewed clocks agree. Returns {allowed, remaining,
# retry_after_us, reset_us}. Rounding of the fractional emission interval is absorbed by a 1 µs
# tolerance.
GCRA_LUA = """
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


def limiter_key(kind: str, value: str, part: str = "") -> str:
    """A typed, length-safe key: ``apisec:{kind:sha256(value)}``, then ``:part`` if given.

    The kind keeps buckets of different meaning apart (an account named ``1.2.3.4`` never shares
    a counter with that IP); the hash makes every key the same length whatever the client sent;
    the braces are a Redis Cluster hash tag, so the keys of one kind and value (whatever their
    ``part``) share a hash slot and one script may use them together.
    """
    if not _KIND.fullmatch(kind) or not _PART.fullmatch(part):
        raise ValueError(f"Invalid limiter kind {kind!r} or part {part!r}")
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    key = f"apisec:{{{kind}:{digest}}}"
    return f"{key}:{part}" if part else key


class LimiterUnavailable(ServiceUnavailable):
    """The abuse-control store is down and the failure policy is closed: 503 + ``Retry-After``."""


def _fixed_window(cache: BaseCache, keys: Sequence[str], args: Sequence[Any]) -> list[int]:
    # The GCRA script's answer, from a fixed window counted with add + incr.
    limit, period, cost = args
    now = time.time()
    window = int(now // period)
    window_key = f"{keys[0]}:{window}"
    reset = max(1, math.ceil((window + 1) * period - now))
    # The key outlives its window by a second so that a late incr still finds it.
    cache.add(window_key, 0, timeout=reset + 1)
    try:
        count = cache.incr(window_key, cost)
    except ValueError:  # expired between add and incr
        cache.add(window_key, max(cost, 0), timeout=reset + 1)
        count = max(cost, 0)
    allowed = cost <= 0 or count <= limit
    retry_us = 0 if allowed else reset * MICROSECONDS
    reset_us = reset * MICROSECONDS if count > 0 else 0
    return [int(allowed), max(0, limit - count), retry_us, reset_us]


#: One decision: GCRA on Redis, a fixed window on other caches.
GCRA = Script(GCRA_LUA, _fixed_window)

STORE_FAILURE = FailureLog(
    "django_apisec.abuse.limiter",
    "Abuse-control store %(alias)r unreachable; failing %(policy)s (key %(key)s)",
)


def hit(key: str, rate: Rate, *, cost: int = 1, failure_policy: str | None = None) -> Decision:
    """Count a hit against ``key`` at ``rate`` in ``APISEC_CACHE`` and decide.

    A negative ``cost`` refunds. ``failure_policy`` (``"open"`` / ``"closed"``, default
    ``APISEC_FAILURE_POLICY``) says what happens when the store fails: open returns an allowing
    decision, closed raises :class:`LimiterUnavailable`.
    """
    try:
        allowed, remaining, retry_us, reset_us = attempt(
            lambda store: store.run(GCRA, [key], [rate.limit, rate.period, cost]),
            STORE_FAILURE,
            policy=failure_policy,
            context={"key": key},
        )
    except StoreFailed as failed:
        if failed.fails_open:
            return Decision(allowed=True, rate=rate, remaining=rate.limit, retry_after=0, reset=0)
        raise LimiterUnavailable from failed
    return Decision(
        allowed=bool(allowed),
        rate=rate,
        remaining=int(remaining),
        retry_after=math.ceil(int(retry_us) / MICROSECONDS),
        reset=math.ceil(int(reset_us) / MICROSECONDS),
    )
