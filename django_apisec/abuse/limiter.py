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
    "GatedHits",
    "LimiterUnavailable",
    "Rate",
    "gated_hits",
    "hit",
    "limiter_key",
    "parse_rate",
    "user_key",
    "user_tag",
]

#: Seconds a client is asked to wait when the store is down and the policy is closed.
FAILURE_RETRY_AFTER = unavailable.FAILURE_RETRY_AFTER
_KIND = re.compile(r"[a-z0-9_.-]{1,64}")
_PART = re.compile(r"[a-z0-9_.-]{0,32}")
MICROSECONDS = 1_000_000

# GCRA as a Lua function: key, limit, period (s), cost (negative refunds), now (µs). Times come
# from the Redis server's clock, so workers with skewed clocks agree. Returns {allowed, remaining,
# retry_after_us, reset_us}. Rounding of the fractional emission interval is absorbed by a 1 µs
# tolerance.
GCRA_FUNCTION = """
local function gcra(key, limit, period, cost, now)
  period = period * 1000000
  local interval = period / limit
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  local new_tat = tat + cost * interval
  if cost > 0 and new_tat - period > now + 1 then
    return {0, 0, math.ceil(new_tat - period - now), math.ceil(tat - now)}
  end
  if new_tat <= now then
    redis.call('DEL', key)
    return {1, limit, 0, 0}
  end
  redis.call('SET', key, string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
  local remaining = math.floor((period - (new_tat - now)) / interval + 0.000001)
  return {1, remaining, 0, math.ceil(new_tat - now)}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
"""

# One hit. KEYS[1]: the key; ARGV: limit, period (s), cost.
GCRA_LUA = (
    GCRA_FUNCTION
    + """
return gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), now)
"""
)

# A gate, a version and any number of hits in one round trip. KEYS[1]: the gate (when it exists,
# nothing is counted: {1}); KEYS[2]: a version key, read, and created when missing (from the
# server's clock, so a new version never equals an earlier one) to live ARGV[1] ms; KEYS[3..]:
# hits, with ARGV holding limit, period, cost for each. Returns {0, version, then the four
# numbers of each hit}.
GATED_GCRA_LUA = (
    GCRA_FUNCTION
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then return {1} end
local version = redis.call('GET', KEYS[2])
if not version then
  version = string.format('t%.0f', now)
  redis.call('SET', KEYS[2], version, 'PX', ARGV[1])
end
local result = {0, version}
for i = 3, #KEYS do
  local j = (i - 3) * 3 + 1
  local d = gcra(KEYS[i], tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2]), tonumber(ARGV[j + 3]), now)
  for _, value in ipairs(d) do result[#result + 1] = value end
end
return result
"""
)


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


def user_tag(user_id: str) -> str:
    """The Redis Cluster hash tag of the user ``user_id``: ``{user:sha256(user_id)}``."""
    digest = hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{{user:{digest}}}"


def user_key(user_id: str, part: str) -> str:
    """The key of ``part`` for the user ``user_id``: ``apisec:{user:sha256(user_id)}:part``.

    Every key of one user (its user-scoped throttles, its version, its sessions' revocation
    markers) carries the same hash tag (:func:`user_tag`), so one script may decide on all of
    them: one round trip per authenticated request, in one Redis Cluster slot.
    """
    if not _KIND.fullmatch(part):
        raise ValueError(f"Invalid user key part {part!r}")
    return f"apisec:{user_tag(user_id)}:{part}"


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


def _gated_fixed_windows(cache: BaseCache, keys: Sequence[str], args: Sequence[Any]) -> list[Any]:
    # The gated script's answer on a cache without scripts (no atomicity across keys is needed:
    # each hit is exact on its own, as with one hit per call).
    if cache.get(keys[0]) is not None:
        return [1]
    version = cache.get(keys[1])
    if version is None:
        version = f"t{time.time_ns() // 1000}"
        if not cache.add(keys[1], version, timeout=int(args[0]) / 1000):
            version = cache.get(keys[1])
    result: list[Any] = [0, str(version)]
    for position, key in enumerate(keys[2:]):
        start = 1 + position * 3
        result.extend(_fixed_window(cache, [key], args[start : start + 3]))
    return result


#: One decision: GCRA on Redis, a fixed window on other caches.
GCRA = Script(GCRA_LUA, _fixed_window)
#: A gate, a version and several decisions in one round trip (see :func:`gated_hits`).
GATED_GCRA = Script(GATED_GCRA_LUA, _gated_fixed_windows)

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
    return _decision(rate, allowed, remaining, retry_us, reset_us)


def _decision(rate: Rate, allowed: Any, remaining: Any, retry_us: Any, reset_us: Any) -> Decision:
    return Decision(
        allowed=bool(int(allowed)),
        rate=rate,
        remaining=int(remaining),
        retry_after=math.ceil(int(retry_us) / MICROSECONDS),
        reset=math.ceil(int(reset_us) / MICROSECONDS),
    )


@dataclass(frozen=True, slots=True)
class GatedHits:
    """The outcome of :func:`gated_hits`."""

    #: The gate key existed: nothing was counted, ``decisions`` is empty.
    gated: bool
    #: The value of the version key (opaque; ``""`` when gated).
    version: str
    #: One decision per hit, in order.
    decisions: tuple[Decision, ...]


def gated_hits(
    gate: str,
    version_key: str,
    hits: Sequence[tuple[str, Rate]],
    failure: FailureLog,
    *,
    version_timeout: float,
    context: dict[str, Any] | None = None,
) -> GatedHits:
    """Unless ``gate`` exists, count each ``(key, rate)`` hit; and read ``version_key``.

    A missing version is created (a value no earlier version had) to live ``version_timeout``
    seconds. One round trip (one ``EVALSHA`` on Redis); every key must share one hash slot (see
    :func:`user_key`). A store failure is logged as ``failure`` and raised as
    :class:`~django_apisec.store.failures.StoreFailed` (open): the caller decides what to do
    without the store; nothing was counted.
    """
    args: list[Any] = [max(1, math.ceil(version_timeout * 1000))]
    for _key, rate in hits:
        args.extend((rate.limit, rate.period, 1))
    raw = attempt(
        lambda store: store.run(GATED_GCRA, [gate, version_key, *(key for key, _ in hits)], args),
        failure,
        policy="open",
        context=context,
    )
    if int(raw[0]):
        return GatedHits(gated=True, version="", decisions=())
    version = raw[1].decode() if isinstance(raw[1], bytes) else str(raw[1])
    decisions = tuple(
        _decision(rate, *raw[2 + position * 4 : 6 + position * 4])
        for position, (_key, rate) in enumerate(hits)
    )
    return GatedHits(gated=False, version=version, decisions=decisions)
