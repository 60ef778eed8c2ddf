"""The attack detector: failed logins spread over many accounts and client networks.

A credential-stuffing wave keeps every account under its lockout and every address under its
throttle; seen together, it is many failures, many accounts, many networks in a few minutes.
Each failed login (an ``authentication_failed`` event naming an ``account``) is counted in the
``APISEC_CACHE`` store (:mod:`django_apisec.store`, single-key commands only, cluster-safe) in
the current sub-window of ``APISEC_ATTACK_WINDOW``: failures, then distinct accounts and distinct
client networks (an IPv4 /24, an IPv6 /64) by one ``INCR`` on a per-sub-window marker each. The
window's figures are the sums over its :data:`SUB_WINDOWS` sub-windows (a sliding window at
1/5 resolution; an account failing in several sub-windows counts in each).

When all three reach ``APISEC_ATTACK_THRESHOLDS``, the first worker to notice (an ``INCR`` that
returns 1) sends :data:`~django_apisec.signals.attack_detected` and records an
``attack_detected`` event; with ``APISEC_ATTACK_TIGHTENING`` it also writes the global login
rate under :func:`~django_apisec.abuse.throttling.tightening_key` for ``duration`` seconds, which
the login throttle applies, then the key expires and logins relax by themselves. While the wave
goes on, the next detection after that tightens again.

The detector observes: a store failure here is logged and ignored (the login was already
answered; the lockout and throttles do not depend on it).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from typing import Any

from django_apisec import signals
from django_apisec.abuse.limiter import limiter_key
from django_apisec.abuse.throttling import tightening_key
from django_apisec.conf import apisec_settings
from django_apisec.observability import events
from django_apisec.store.backends import Store, current_store

__all__ = ["CREDENTIAL_STUFFING", "SUB_WINDOWS", "WindowCounts", "network_of", "observe_event"]

logger = logging.getLogger("django_apisec.monitoring")

SUB_WINDOWS = 5
CREDENTIAL_STUFFING = "credential_stuffing"
IPV4_PREFIX = 24
IPV6_PREFIX = 64
WindowCounts = dict[str, int]


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


def _sub_window() -> tuple[int, int]:
    length = max(1, apisec_settings.ATTACK_WINDOW // SUB_WINDOWS)
    return int(time.time() // length), length


def _count_key(index: int, what: str) -> str:
    return limiter_key("attack.window", str(index), what)


def observe_failure(account: str, network: str, *, request: Any = None) -> WindowCounts:
    """Count one failed login of ``account`` from ``network``; detect; the window's counts."""
    store = current_store()
    index, length = _sub_window()
    ttl = length * (SUB_WINDOWS + 1)
    store.incr(_count_key(index, "failures"), ttl)
    for what, value in (("accounts", account), ("networks", network)):
        if store.incr(limiter_key(f"attack.seen.{what}", f"{index}\x00{value}"), ttl) == 1:
            store.incr(_count_key(index, what), ttl)
    counts = window_counts(store, index)
    thresholds = apisec_settings.ATTACK_THRESHOLDS
    if all(counts[what] >= limit for what, limit in thresholds.items()):
        _detected(store, counts, request)
    return counts


def window_counts(store: Store | None = None, index: int | None = None) -> WindowCounts:
    """Failures, distinct accounts and distinct networks in the sliding window ending now."""
    store = store or current_store()
    if index is None:
        index, _ = _sub_window()
    counts = {"failures": 0, "accounts": 0, "networks": 0}
    for past in range(index - SUB_WINDOWS + 1, index + 1):
        for what in counts:
            counts[what] += int(store.get(_count_key(past, what)) or 0)
    return counts


def _detected(store: Store, counts: WindowCounts, request: Any) -> None:
    tightening = apisec_settings.ATTACK_TIGHTENING
    window = apisec_settings.ATTACK_WINDOW
    hold = tightening["duration"] if tightening else window
    # One report per wave and hold period, whichever worker crosses the thresholds first.
    if store.incr(limiter_key("attack.reported", CREDENTIAL_STUFFING), hold) != 1:
        return
    if tightening:
        store.set(tightening_key(), tightening["rate"], tightening["duration"])
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
