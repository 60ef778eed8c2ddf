"""Prometheus counters of the security events, and their exposition.

One receiver of :data:`~django_apisec.signals.security_event` counts every event by type and
outcome, and the ones a dashboard watches on their own: account locks, throttled requests by
scope, refresh-token reuse, API-key rejections, detected attacks. It only observes: an error in it
is logged and swallowed, never seen by the request. Two gauges follow the password-hashing slots
(``hashing_slots_changed``): how many are busy, and how many there are.

Under gunicorn (several worker processes) set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory
writable by every worker before they start: prometheus_client then writes each process's values
there and :func:`exposition` merges them (its multiprocess mode).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
    multiprocess,
)

from django_apisec.observability import events

__all__ = [
    "API_KEY_REJECTIONS",
    "ATTACKS",
    "CONTENT_TYPE_LATEST",
    "HASHING_SLOTS",
    "HASHING_SLOTS_BUSY",
    "LOCKOUTS",
    "SECURITY_EVENTS",
    "THROTTLED",
    "TOKEN_REUSE",
    "count_event",
    "count_hashing_slots",
    "exposition",
]

logger = logging.getLogger("django_apisec.monitoring")

#: The environment variable of prometheus_client's multiprocess mode.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

SECURITY_EVENTS = Counter(
    "apisec_security_events",
    "Security events recorded, by event type and outcome.",
    ["event", "outcome"],
)
LOCKOUTS = Counter("apisec_lockouts", "Accounts locked by the lockout (each lock counts once).")
THROTTLED = Counter("apisec_throttled_requests", "Requests refused by a throttle.", ["scope"])
TOKEN_REUSE = Counter("apisec_token_reuse", "Refresh-token reuse detected (a family revoked).")
API_KEY_REJECTIONS = Counter(
    "apisec_api_key_rejections", "Requests whose API key was refused, by reason.", ["reason"]
)
ATTACKS = Counter("apisec_attacks_detected", "Attacks the detector reported, by kind.", ["kind"])
# Gauges of every live worker process, summed in multiprocess mode (a dead worker's are dropped).
HASHING_SLOTS_BUSY = Gauge(
    "apisec_hashing_slots_busy",
    "Password hashes running now (hashing slots in use), summed over the worker processes.",
    multiprocess_mode="livesum",
)
HASHING_SLOTS = Gauge(
    "apisec_hashing_slots",
    "Password hashes that may run at once (hashing slots), summed over the worker processes.",
    multiprocess_mode="livesum",
)


def count_event(event: events.SecurityEvent, **kwargs: Any) -> None:
    """``security_event`` receiver: count ``event``; a failure here is logged, never raised."""
    try:
        _count(event)
    except Exception:  # observation only: the request must not fail because of a metric
        logger.exception("Could not count the security event %s", event.type)


def count_hashing_slots(busy: int, slots: int, **kwargs: Any) -> None:
    """``hashing_slots_changed`` receiver: this process's slots in use, and its number of slots."""
    HASHING_SLOTS_BUSY.set(busy)
    HASHING_SLOTS.set(slots)


def _count(event: events.SecurityEvent) -> None:
    SECURITY_EVENTS.labels(event=event.type, outcome=event.outcome).inc()
    fields = event.fields
    if event.type == events.ACCOUNT_LOCKED_OUT and fields.get("phase") == "locked":
        LOCKOUTS.inc()
    elif event.type == events.THROTTLED:
        for scope in fields.get("scopes") or ["unknown"]:
            THROTTLED.labels(scope=str(scope)).inc()
    elif event.type == events.TOKEN_REUSED:
        TOKEN_REUSE.inc()
    elif event.type == events.API_KEY_REJECTED:
        API_KEY_REJECTIONS.labels(reason=str(fields.get("reason", "unknown"))).inc()
    elif event.type == events.ATTACK_DETECTED:
        ATTACKS.labels(kind=str(fields.get("kind", "unknown"))).inc()


def exposition() -> bytes:
    """The metrics in Prometheus' text format: this process's, or every worker's merged."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
