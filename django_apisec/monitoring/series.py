"""The security page's time series, in the shared store: per-minute counts for the last 24 hours.

Every worker writes to and reads from the ``APISEC_CACHE`` store (:mod:`django_apisec.store`),
so the admin page shows the same figures whichever worker answers. All keys carry one Redis
Cluster hash tag (:func:`monitoring_key`): every script names keys of one hash slot.

* **Series**: one Redis hash per hour (``HINCRBY`` of the field ``KIND.MINUTE``), expiring
  :data:`RETENTION` seconds after its last write. At most ``60 x len(KINDS)`` fields per hour and
  25 hours: bounded whatever the traffic.
* **Client networks**: one sorted set per hour of failed logins per network (an IPv4 /24, an
  IPv6 /64), trimmed to the :data:`NETWORKS_KEPT` networks with the most failures whenever it
  holds twice as many: bounded memory, and the top networks of a day are exact unless a network
  falls out of an hour's top :data:`NETWORKS_KEPT` and comes back.

Failed logins are counted by the attack detector's script (one script per failed login, see
:mod:`django_apisec.monitoring.detector`); locks, throttled requests and token reuse by
:func:`observe_event` (one script per event). Everything here observes: a store failure is logged
and ignored.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django_apisec.abuse.limiter import limiter_key
from django_apisec.observability import events
from django_apisec.store.backends import Script, current_store

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.core.cache.backends.base import BaseCache

__all__ = [
    "FAILED_LOGINS",
    "KINDS",
    "LOCKOUTS",
    "THROTTLED",
    "TOKEN_REUSE",
    "Overview",
    "count",
    "monitoring_key",
    "observe_event",
    "read",
]

logger = logging.getLogger("django_apisec.monitoring")

FAILED_LOGINS = "failed_logins"
LOCKOUTS = "lockouts"
THROTTLED = "throttled"
TOKEN_REUSE = "token_reuse"  # noqa: S105 (a series name, not a secret)
#: The series, in the order the security page draws them.
KINDS = (FAILED_LOGINS, LOCKOUTS, THROTTLED, TOKEN_REUSE)
#: Minutes the page shows.
MINUTES = 24 * 60
#: Seconds an hour's keys live after their last write: the page's day, plus the hour in progress.
RETENTION = 25 * 3600
#: Networks each hour's sorted set keeps (trimmed when it holds twice as many).
NETWORKS_KEPT = 500


def monitoring_key(part: str) -> str:
    """A key of the monitoring state; every one shares one hash slot (one ``{hash tag}``)."""
    return limiter_key("monitoring", "global", part)


def series_key(hour: int) -> str:
    """The hash of the per-minute counts of ``hour`` (hours since the epoch)."""
    return monitoring_key(f"series.{hour}")


def networks_key(hour: int) -> str:
    """The sorted set of failed logins per client network during ``hour``."""
    return monitoring_key(f"networks.{hour}")


def field(kind: str, minute: int) -> str:
    """The series hash's field of ``kind`` in ``minute`` (minutes since the epoch)."""
    return f"{kind}.{minute}"


# KEYS[1]: an hour's series hash; ARGV: field, TTL (s).
COUNT_LUA = """
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


def _count_in_cache(cache: BaseCache, keys: Sequence[str], args: Sequence[Any]) -> int:
    # Development caches (one process, or memcached without hashes): read-modify-write; a
    # concurrent increment may be lost, which a chart can afford (enforcement never reads it).
    counts = cache.get(keys[0]) or {}
    counts[args[0]] = int(counts.get(args[0], 0)) + 1
    cache.set(keys[0], counts, timeout=args[1])
    return 1


COUNT = Script(COUNT_LUA, _count_in_cache)

# KEYS: N series hashes, then N network sets (oldest hour first); ARGV: N, networks per hour.
# Returns {HGETALL of each hash..., ZREVRANGE WITHSCORES of each set...}.
READ_LUA = """
local n = tonumber(ARGV[1])
local found = {}
for i = 1, n do found[i] = redis.call('HGETALL', KEYS[i]) end
for i = 1, n do
  found[n + i] = redis.call('ZREVRANGE', KEYS[n + i], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES')
end
return found
"""


def _flat(mapping: dict[str, Any]) -> list[Any]:
    return [item for pair in mapping.items() for item in pair]


def _read_in_cache(
    cache: BaseCache,
    keys: Sequence[str],
    args: Sequence[Any],  # noqa: ARG001 (a script fallback's signature)
) -> list[Any]:
    found = cache.get_many(keys)
    return [_flat(found.get(key) or {}) for key in keys]


READ = Script(READ_LUA, _read_in_cache)


def count(kind: str, when: float | None = None) -> None:
    """Count one ``kind`` event now (or at ``when``) in the store: one script, one round trip."""
    now = time.time() if when is None else when
    minute = int(now // 60)
    current_store().run(COUNT, [series_key(minute // 60)], [field(kind, minute), RETENTION])


def _kind_of(event: events.SecurityEvent) -> str | None:
    if event.type == events.ACCOUNT_LOCKED_OUT and event.fields.get("phase") == "locked":
        return LOCKOUTS
    if event.type == events.THROTTLED:
        return THROTTLED
    if event.type == events.TOKEN_REUSED:
        return TOKEN_REUSE
    return None  # failed logins: counted by the detector's script


def observe_event(event: events.SecurityEvent, **kwargs: Any) -> None:
    """``security_event`` receiver: count locks, throttled requests, token reuse; never raise."""
    kind = _kind_of(event)
    if kind is None:
        return
    try:
        count(kind)
    except Exception:  # observation only: the request was already decided
        logger.exception("Could not count a %s event in the security series", kind)


@dataclass(frozen=True)
class Overview:
    """What the security page shows: per-minute counts and the top client networks.

    ``series[kind]`` holds :data:`MINUTES` counts, oldest first, the last one being the minute
    ``last_minute`` (minutes since the epoch) in progress. ``networks`` is ``(network,
    failed logins)`` by failures, most first.
    """

    last_minute: int
    series: dict[str, list[int]]
    networks: list[tuple[str, int]]

    def total(self, kind: str) -> int:
        """The ``kind`` events of the last 24 hours."""
        return sum(self.series[kind])


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def read(top: int = 10, when: float | None = None) -> Overview:
    """The last 24 hours from the store, in one script (one round trip). Raises on a failure."""
    now = time.time() if when is None else when
    last_minute = int(now // 60)
    first_minute = last_minute - MINUTES + 1
    hours = list(range(first_minute // 60, last_minute // 60 + 1))
    keys = [series_key(hour) for hour in hours] + [networks_key(hour) for hour in hours]
    found = current_store().run(READ, keys, [len(hours), NETWORKS_KEPT])
    series = {kind: [0] * MINUTES for kind in KINDS}
    for flat in found[: len(hours)]:
        for name, value in zip(flat[::2], flat[1::2], strict=True):
            kind, _, minute = _text(name).rpartition(".")
            index = int(minute) - first_minute
            if kind in series and 0 <= index < MINUTES:
                series[kind][index] += int(value)
    networks: dict[str, int] = {}
    for flat in found[len(hours) :]:
        for name, value in zip(flat[::2], flat[1::2], strict=True):
            network = _text(name)
            networks[network] = networks.get(network, 0) + int(float(value))
    ranked = sorted(networks.items(), key=lambda item: (-item[1], item[0]))[:top]
    return Overview(last_minute, series, ranked)
