"""The account lockout engine: failed logins counted per canonical account, race-free.

Every login attempt first **reserves** a slot with one atomic increment of the account's counter;
only an attempt holding a slot at or below ``APISEC_LOCKOUT_THRESHOLD`` may check the password. So
N concurrent guesses run at most T password checks, and a locked account costs no password hash.
The T-th failure locks the account for the next of ``APISEC_LOCKOUT_PERIODS`` (1 min, 5 min, ...);
the lock and the counter expire together, and the next lock lasts longer.

Counters are keyed on :func:`~django_apisec.abuse.usernames.canonical_username`, never on the
client's address, and exist for every name, so a nonexistent account locks exactly like a real one.
A client holding a trusted-device cookie for the account (:mod:`django_apisec.abuse.devices`) counts
in its own bucket instead, so an attacker cannot lock the owner out of the devices they use.

State lives in ``APISEC_CACHE``: no database write per failed attempt. When that cache fails,
``APISEC_FAILURE_POLICY`` decides: closed refuses the attempt, open checks the password uncounted.

Each lock is recorded as an ``account_locked_out`` security event (``phase="locked"``), and so is
each login the lock then refuses (``phase="refused"``, recorded by the exception handler from
:class:`LockedOut`); see ``docs/security-events.rst``.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.cache import caches
from rest_framework import exceptions

from django_apisec import signals
from django_apisec.abuse import devices
from django_apisec.abuse.limiter import (
    FAILURE_RETRY_AFTER,
    LimiterUnavailable,
    RedisStore,
    limiter_key,
    store_for,
)
from django_apisec.abuse.usernames import canonical_username
from django_apisec.conf import apisec_settings
from django_apisec.observability import events
from django_apisec.request.addresses import client_ip

if TYPE_CHECKING:
    from django.core.cache.backends.base import BaseCache

logger = logging.getLogger("django_apisec.abuse.lockout")

REFUSAL_ATTR = "apisec_lockout_refusal"
#: How long an account's lock level (how many times it locked) is remembered.
LEVEL_MEMORY = 86400

# The reservation on Redis, in one round trip. KEYS: failures, lock; ARGV: window (s).
# Returns {lock_ms, slot}: the lock's remaining ms (then no slot is taken), or 0 and the slot.
RESERVE_SCRIPT = """
local lock_ms = redis.call('PTTL', KEYS[2])
if lock_ms > 0 then return {lock_ms, 0} end
local slot = redis.call('INCR', KEYS[1])
if slot == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {0, slot}
"""


class LockedOut(exceptions.Throttled):
    """429 for a login refused by the lockout; ``Retry-After`` says when to try again.

    ``username`` is the canonical name of the locked account (for the security event, never
    shown to the client).
    """

    default_detail = "Too many failed login attempts, try again later."
    default_code = "locked_out"

    def __init__(self, wait: int, username: str | None = None) -> None:
        super().__init__(wait=wait, detail=self.default_detail, code=self.default_code)
        self.username = username


@dataclass
class Attempt:
    """A reserved login attempt (``admitted``) or a refused one (``retry_after``)."""

    username: str
    device: str | None
    admitted: bool
    failures: int = 0
    retry_after: int = 0
    counted: bool = True

    @property
    def bucket(self) -> str:
        """The counter's value: the account, or the account on one trusted device."""
        return self.username if self.device is None else f"{self.username}\x00{self.device}"


@dataclass(frozen=True)
class Refusal:
    """Why a login was refused before its password was checked."""

    reason: str  # "locked" or "unavailable"
    retry_after: int
    username: str | None = None


def abuse_cache() -> BaseCache:
    """The cache holding the counters (``APISEC_CACHE``)."""
    return caches[apisec_settings.CACHE]


def _keys(bucket: str, username: str) -> tuple[str, str, str]:
    return (
        limiter_key("lockout.failures", bucket),
        limiter_key("lockout.lock", bucket),
        limiter_key("lockout.level", username),
    )


def lock_period(level: int) -> int:
    """Seconds of the ``level``-th lock (1-based); the last period repeats."""
    periods = apisec_settings.LOCKOUT_PERIODS
    return periods[min(max(level, 1), len(periods)) - 1]


def reserve(request: Any, username: object) -> Attempt:
    """Reserve a password check for ``username``; refused when its bucket is locked or full."""
    name = canonical_username(username)
    attempt = Attempt(name, devices.device_for(request, name), admitted=True)
    failures_key, lock_key, _ = _keys(attempt.bucket, name)
    try:
        lock_wait, slot = _take_slot(failures_key, lock_key)
    except Exception as exc:  # noqa: BLE001 (any store error takes the failure policy)
        return _store_failed(request, attempt, exc)
    if lock_wait:
        return _refused(request, attempt, lock_wait)
    attempt.failures = slot - 1
    if slot > apisec_settings.LOCKOUT_THRESHOLD:
        # The lock is being written by the attempt holding the last slot: wait one period.
        return _refused(request, attempt, lock_period(1))
    return attempt


def _take_slot(failures_key: str, lock_key: str) -> tuple[int, int]:
    """``(seconds the bucket stays locked, 0)`` or ``(0, the slot taken)``, atomically.

    One ``EVALSHA`` on Redis; ``get`` + ``add`` + ``incr`` on any other cache.
    """
    window = apisec_settings.LOCKOUT_WINDOW
    store = store_for(apisec_settings.CACHE)
    if isinstance(store, RedisStore):
        lock_ms, slot = store.run_script(RESERVE_SCRIPT, [failures_key, lock_key], [window])
        return (math.ceil(int(lock_ms) / 1000), 0) if int(lock_ms) > 0 else (0, int(slot))
    cache = abuse_cache()
    until = cache.get(lock_key)
    if isinstance(until, (int, float)) and until > time.time():
        return math.ceil(until - time.time()), 0
    cache.add(failures_key, 0, timeout=window)
    return 0, int(cache.incr(failures_key))


def _refused(request: Any, attempt: Attempt, retry_after: int) -> Attempt:
    attempt.admitted = False
    attempt.retry_after = max(1, retry_after)
    _remember(request, Refusal("locked", attempt.retry_after, attempt.username))
    return attempt


def _store_failed(request: Any, attempt: Attempt, exc: Exception) -> Attempt:
    policy = apisec_settings.FAILURE_POLICY
    logger.error("Lockout store unreachable; failing %s", policy, exc_info=exc)
    attempt.counted = False
    if policy == "open":
        return attempt
    attempt.admitted = False
    attempt.retry_after = FAILURE_RETRY_AFTER
    _remember(request, Refusal("unavailable", FAILURE_RETRY_AFTER))
    return attempt


def _remember(request: Any, refusal: Refusal) -> None:
    if request is not None:
        setattr(getattr(request, "_request", request), REFUSAL_ATTR, refusal)


def record_failure(request: Any, attempt: Attempt) -> None:
    """The reserved attempt's password was wrong: count it, and lock at the threshold."""
    if not attempt.counted:
        return
    failures = attempt.failures + 1
    signals.login_failed.send(
        sender=Attempt,
        username=attempt.username,
        client_ip=client_ip(request) if request is not None else None,
        failures=failures,
        request=request,
    )
    if failures < apisec_settings.LOCKOUT_THRESHOLD:
        return
    failures_key, lock_key, level_key = _keys(attempt.bucket, attempt.username)
    cache = abuse_cache()
    try:
        cache.add(level_key, 0, timeout=LEVEL_MEMORY)
        level = cache.incr(level_key)
        period = lock_period(level)
        until = time.time() + period
        # An int: Django's RedisCache stores it raw, so the reservation script reads its TTL.
        cache.set(lock_key, math.ceil(until), timeout=period)
        # The counter expires with the lock: then the account gets T more tries.
        cache.touch(failures_key, period)
        if attempt.device is None:
            _index_lock(cache, attempt.username, until)
    except Exception:  # the store failed after the reservation held
        logger.exception("Lockout store failed while locking an account")
        return
    events.record(
        events.ACCOUNT_LOCKED_OUT,
        request=request,
        outcome=events.BLOCKED,
        phase="locked",
        username=attempt.username,
        wait=period,
        level=level,
        trusted_device=attempt.device is not None,
    )
    signals.account_locked.send(
        sender=Attempt, username=attempt.username, until=until, level=level, request=request
    )


def record_success(request: Any, attempt: Attempt) -> None:
    """The password was right: clear this bucket's failures and trust the device."""
    devices.issue(request, attempt.username)
    if not attempt.counted:
        return
    failures_key, _, _ = _keys(attempt.bucket, attempt.username)
    try:
        abuse_cache().delete(failures_key)
    except Exception:  # the login itself succeeded
        logger.exception("Lockout store failed while resetting a counter")
    if attempt.failures:
        signals.lockout_reset.send(
            sender=Attempt, username=attempt.username, failures=attempt.failures, request=request
        )
    if attempt.failures >= apisec_settings.LOCKOUT_THRESHOLD - 1:
        signals.login_succeeded_after_failures.send(
            sender=Attempt, username=attempt.username, failures=attempt.failures, request=request
        )


def refusal(request: Any) -> Refusal | None:
    """Why the lockout refused this request's login before checking the password, if it did."""
    value = getattr(getattr(request, "_request", request), REFUSAL_ATTR, None)
    return value if isinstance(value, Refusal) else None


def raise_for_lockout(request: Any) -> None:
    """In a login view, after ``authenticate()`` returned ``None``: answer 429 or 503.

    Raises :class:`LockedOut` (429 + ``Retry-After``) when the account was locked, or
    :class:`~django_apisec.abuse.limiter.LimiterUnavailable` (503) when the store was down and the
    policy is closed. Returns when the login simply failed (answer 401 as usual).
    """
    reason = refusal(request)
    if reason is None:
        return
    if reason.reason == "unavailable":
        raise LimiterUnavailable(reason.retry_after)
    raise LockedOut(reason.retry_after, reason.username)


def _index_lock(cache: BaseCache, username: str, until: float) -> None:
    # A listing for `manage.py apisec_lockout list`: read-modify-write, so two accounts locking at
    # the same instant may drop one line; enforcement never reads it.
    key = limiter_key("lockout.index", "accounts")
    now = time.time()
    index = cache.get(key) or {}
    index = {name: end for name, end in index.items() if end > now}
    index[username] = until
    cache.set(key, index, timeout=max(apisec_settings.LOCKOUT_PERIODS))


def locked_accounts() -> dict[str, float]:
    """Currently locked accounts (canonical username -> unlock time), for the command."""
    index = abuse_cache().get(limiter_key("lockout.index", "accounts")) or {}
    now = time.time()
    return {name: until for name, until in sorted(index.items()) if until > now}


def unlock(username: object, *, by: str = "api") -> bool:
    """Unlock an account (its shared bucket) and forget its lock level; ``True`` if it was locked.

    Trusted-device buckets are left alone: they cannot be listed, and they expire by themselves.
    """
    name = canonical_username(username)
    failures_key, lock_key, level_key = _keys(name, name)
    cache = abuse_cache()
    was_locked = cache.get(lock_key) is not None
    cache.delete_many([failures_key, lock_key, level_key])
    key = limiter_key("lockout.index", "accounts")
    index = cache.get(key) or {}
    if name in index:
        del index[name]
        cache.set(key, index, timeout=max(apisec_settings.LOCKOUT_PERIODS))
    signals.account_unlocked.send(sender=Attempt, username=name, by=by)
    return was_locked
