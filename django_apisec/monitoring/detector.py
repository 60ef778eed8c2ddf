"""The attack detector: failed logins spread over many accounts and client networks.

A credential-stuffing wave keeps every account under its lockout and every address under its
throttle; seen together, it is many failures, many accounts, many networks in a few minutes.
Each failed login (an ``authentication_failed`` event naming an ``account``) runs **one** Lua
script on the ``APISEC_CACHE`` store (:mod:`django_apisec.store`; one round trip, every key in
the monitoring hash slot of :func:`~django_apisec.monitoring.series.monitoring_key`, so it runs
on Redis Cluster too). The script:

* counts the failure in the security page's series and its client network (an IPv4 /24, an
  IPv6 /64) in the hour's top networks (:mod:`django_apisec.monitoring.series`);
* counts it in the current sub-window of ``APISEC_ATTACK_WINDOW`` (one fifth of it,
  :data:`SUB_WINDOWS`): a counter of failures, and a HyperLogLog each of the accounts and the
  networks seen (Redis' ``PFADD``: at most 12 KB a key whatever the wave's size, counts within
  about 1 %; exact in practice below a few hundred);
* sums the failures of the sliding window's sub-windows and counts the distinct accounts and
  networks of their union (``PFCOUNT`` of the window's sub-windows: an account failing in several
  sub-windows counts once);
* when all three reach ``APISEC_ATTACK_THRESHOLDS``, sets the report marker (``SET NX``) for the
  hold period and says whether this call set it.

The one worker whose call set the marker sends :data:`~django_apisec.signals.attack_detected`
and records an ``attack_detected`` event; with ``APISEC_ATTACK_TIGHTENING`` it also writes the
global login rate under :func:`~django_apisec.abuse.throttling.tightening_key` for ``duration``
seconds, which the login throttle applies, then the key expires and logins relax by themselves.
While the wave goes on, the next detection after that tightens again.

On a cache without Lua (development's ``LocMemCache``, memcached) the same algorithm runs
through Django's cache API, with sets for the distinct counts (each capped at :data:`SET_CAP`
members or the largest threshold, so a value stays small); only the report marker is atomic
there (``add``).

The detector observes: a store failure here is logged and ignored (the login was already
answered; the lockout and throttles do not depend on it).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from typing import TYPE_CHECKING, Any

from django_apisec import signals
from django_apisec.abuse.throttling import tightening_key
from django_apisec.conf import apisec_settings
from django_apisec.monitoring import series
from django_apisec.observability import events
from django_apisec.store.backends import Script, current_store

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.core.cache.backends.base import BaseCache

__all__ = [
    "CREDENTIAL_STUFFING",
    "SUB_WINDOWS",
    "WindowCounts",
    "network_of",
    "observe_event",
    "observe_failure",
    "reported",
    "window_counts",
]

logger = logging.getLogger("django_apisec.monitoring")

SUB_WINDOWS = 5
CREDENTIAL_STUFFING = "credential_stuffing"
IPV4_PREFIX = 24
IPV6_PREFIX = 64
#: Members a development cache's set of accounts or networks keeps per sub-window (about 40 KB).
SET_CAP = 1000
WindowCounts = dict[str, int]

# One failed login, atomically. KEYS: the hour's series hash, the hour's networks set, the report
# marker, then per sub-window (current first) its failures counter, its accounts HyperLogLog and
# its networks HyperLogLog. ARGV: series field, network, account, sub-window TTL, series TTL,
# networks kept, thresholds (failures, accounts, networks), hold (s).
# Returns {failures, accounts, networks, reported}: the window's counts, and 1 if this call
# crossed the thresholds first in the hold period.
FAILURE_LUA = """
local n = (#KEYS - 3) / 3
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('ZINCRBY', KEYS[2], 1, ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[5])
local kept = tonumber(ARGV[6])
if redis.call('ZCARD', KEYS[2]) > 2 * kept then
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -kept - 1)
end
redis.call('INCR', KEYS[4])
redis.call('EXPIRE', KEYS[4], ARGV[4])
redis.call('PFADD', KEYS[4 + n], ARGV[3])
redis.call('EXPIRE', KEYS[4 + n], ARGV[4])
redis.call('PFADD', KEYS[4 + 2 * n], ARGV[2])
redis.call('EXPIRE', KEYS[4 + 2 * n], ARGV[4])
local failures = 0
local accounts, networks = {}, {}
for i = 1, n do
  failures = failures + (tonumber(redis.call('GET', KEYS[3 + i])) or 0)
  accounts[i] = KEYS[3 + n + i]
  networks[i] = KEYS[3 + 2 * n + i]
end
local distinct_accounts = redis.call('PFCOUNT', unpack(accounts))
local distinct_networks = redis.call('PFCOUNT', unpack(networks))
local reported = 0
if failures >= tonumber(ARGV[7]) and distinct_accounts >= tonumber(ARGV[8])
    and distinct_networks >= tonumber(ARGV[9]) then
  if redis.call('SET', KEYS[3], 1, 'NX', 'EX', ARGV[10]) then reported = 1 end
end
return {failures, distinct_accounts, distinct_networks, reported}
"""


def _failure_in_cache(cache: BaseCache, keys: Sequence[str], args: Sequence[Any]) -> list[int]:
    # The script's algorithm on Django's cache API: sets instead of HyperLogLogs, each capped at
    # SET_CAP members or the largest threshold (past it no count changes a decision).
    series_hash, networks_set, marker, *windows = keys
    size = len(windows) // 3
    field, network, account, sub_ttl, series_ttl, kept = args[:6]
    thresholds, hold = args[6:9], args[9]
    counts = cache.get(series_hash) or {}
    counts[field] = int(counts.get(field, 0)) + 1
    cache.set(series_hash, counts, timeout=series_ttl)
    ranked = cache.get(networks_set) or {}
    ranked[network] = int(ranked.get(network, 0)) + 1
    if len(ranked) > 2 * kept:
        ranked = dict(sorted(ranked.items(), key=lambda item: -item[1])[:kept])
    cache.set(networks_set, ranked, timeout=series_ttl)
    cache.add(windows[0], 0, timeout=sub_ttl)
    cache.incr(windows[0])
    cap = max(SET_CAP, *(int(limit) for limit in thresholds))
    for key, value in ((windows[size], account), (windows[2 * size], network)):
        seen = cache.get(key) or set()
        if len(seen) < cap:
            cache.set(key, seen | {value}, timeout=sub_ttl)
    found = _counts_in_cache(cache, windows, ())
    crossed = all(count >= int(limit) for count, limit in zip(found, thresholds, strict=True))
    return [*found, int(crossed and cache.add(marker, 1, timeout=hold))]


FAILURE = Script(FAILURE_LUA, _failure_in_cache)

# KEYS: per sub-window its failures counter, accounts and networks HyperLogLogs (as FAILURE_LUA).
COUNTS_LUA = """
local n = #KEYS / 3
local failures = 0
local accounts, networks = {}, {}
for i = 1, n do
  failures = failures + (tonumber(redis.call('GET', KEYS[i])) or 0)
  accounts[i] = KEYS[n + i]
  networks[i] = KEYS[2 * n + i]
end
return {failures, redis.call('PFCOUNT', unpack(accounts)), redis.call('PFCOUNT', unpack(networks))}
"""


def _counts_in_cache(
    cache: BaseCache,
    keys: Sequence[str],
    args: Sequence[Any],  # noqa: ARG001 (a script fallback's signature)
) -> list[int]:
    size = len(keys) // 3
    found = cache.get_many(keys)
    failures = sum(int(found.get(key) or 0) for key in keys[:size])
    accounts: set[str] = set().union(*(found.get(key) or set() for key in keys[size : 2 * size]))
    networks: set[str] = set().union(*(found.get(key) or set() for key in keys[2 * size :]))
    return [failures, len(accounts), len(networks)]


COUNTS = Script(COUNTS_LUA, _counts_in_cache)


def network_of(address: str | None) -> str:
    """The client network of ``address``: its /24 (IPv4) or /64 (IPv6); ``unknown`` if none."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    prefix = IPV4_PREFIX if parsed.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))


def observe_event(event: events.SecurityEvent, **kwargs: Any) -> None:
    """``security_event`` receiver: count a failed login; detect; never raise."""
    account = event.fields.get("account")
    if event.type != events.AUTHENTICATION_FAILED or not isinstance(account, str):
        return
    try:
        observe_failure(account, network_of(event.client_ip), request=kwargs.get("request"))
    except Exception:  # observation only: the login was already answered
        logger.exception("The attack detector could not count a failed login")


def _sub_window(now: float) -> tuple[int, int]:
    length = max(1, apisec_settings.ATTACK_WINDOW // SUB_WINDOWS)
    return int(now // length), length


def _window_keys(index: int) -> list[str]:
    # The window's sub-windows, current first: failures counters, accounts, networks.
    indexes = range(index, index - SUB_WINDOWS, -1)
    return [
        series.monitoring_key(f"attack.{what}.{past}")
        for what in ("failures", "accounts", "networks")
        for past in indexes
    ]


def _report_key() -> str:
    return series.monitoring_key("attack.reported")


def _hold() -> int:
    tightening = apisec_settings.ATTACK_TIGHTENING
    return int(tightening["duration"]) if tightening else apisec_settings.ATTACK_WINDOW


def observe_failure(account: str, network: str, *, request: Any = None) -> WindowCounts:
    """Count one failed login of ``account`` from ``network``; detect; the window's counts.

    One script on the store (one round trip); a detection adds the tightening's write.
    """
    now = time.time()
    index, length = _sub_window(now)
    minute = int(now // 60)
    thresholds = apisec_settings.ATTACK_THRESHOLDS
    keys = [
        series.series_key(minute // 60),
        series.networks_key(minute // 60),
        _report_key(),
        *_window_keys(index),
    ]
    args = [
        series.field(series.FAILED_LOGINS, minute),
        network,
        account,
        length * (SUB_WINDOWS + 1),
        series.RETENTION,
        series.NETWORKS_KEPT,
        thresholds["failures"],
        thresholds["accounts"],
        thresholds["networks"],
        max(1, math.ceil(_hold())),
    ]
    failures, accounts, networks, reported = (
        int(value) for value in current_store().run(FAILURE, keys, args)
    )
    counts = {"failures": failures, "accounts": accounts, "networks": networks}
    if reported:
        _detected(counts, request)
    return counts


def window_counts() -> WindowCounts:
    """Failures, distinct accounts and distinct networks in the sliding window ending now."""
    index, _ = _sub_window(time.time())
    failures, accounts, networks = (
        int(value) for value in current_store().run(COUNTS, _window_keys(index), [])
    )
    return {"failures": failures, "accounts": accounts, "networks": networks}


def reported() -> bool:
    """Whether a wave was reported within the hold period (the report marker is set)."""
    return current_store().exists(_report_key())


def _detected(counts: WindowCounts, request: Any) -> None:
    # Only the call that set the report marker gets here: one report per wave and hold period.
    tightening = apisec_settings.ATTACK_TIGHTENING
    window = apisec_settings.ATTACK_WINDOW
    if tightening:
        current_store().set(tightening_key(), tightening["rate"], tightening["duration"])
    tightened_for = tightening["duration"] if tightening else 0
    events.record(
        events.ATTACK_DETECTED,
        request=request,
        outcome=events.DENIED if tightening else events.FAILURE,
        kind=CREDENTIAL_STUFFING,
        window=window,
        tightened_for=tightened_for,
        **counts,
    )
    signals.attack_detected.send(
        sender=CREDENTIAL_STUFFING,
        kind=CREDENTIAL_STUFFING,
        window=window,
        tightened_for=tightened_for,
        **counts,
    )
