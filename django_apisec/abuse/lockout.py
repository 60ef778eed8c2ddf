"""The account lockout engine: failed logins counted per canonical account, race-free.

Every login attempt first **reserves** a slot with one atomic increment of the account's counter,
which holds the bucket's failures plus the attempts in progress; the increment is only made while
the counter is below ``APISEC_LOCKOUT_THRESHOLD``, and only an attempt holding a slot may check
the password. So N concurrent guesses run at most T password checks, and a locked account costs
no password hash. An attempt that finds the counter full without a lock (T attempts of the same
account in progress) waits up to ``APISEC_LOCKOUT_WAIT`` ms for one of them to finish, polling
with a short backoff: a success clears the counter and lets the waiting attempts in, the T-th
failure writes the lock and refuses them. So concurrent correct logins of one account (parallel
jobs of a service account, a user's several devices) are not refused.
The T-th failure locks the account for the next of ``APISEC_LOCKOUT_PERIODS`` (1 min, 5 min, ...);
the lock and the counter expire together, and the next lock lasts longer.

Counters are keyed on :func:`~django_apisec.abuse.usernames.canonical_username`, never on the
client's address, and exist for every name, so a nonexistent account locks exactly like a real one.
A client holding a trusted-device cookie for the account (:mod:`django_apisec.abuse.devices`) counts
in its own bucket instead, so an attacker cannot lock the owner out of the devices they use.

State lives in the ``APISEC_CACHE`` store (:mod:`django_apisec.store`): no database write per
failed attempt. When the store fails, ``APISEC_FAILURE_POLICY`` decides: closed refuses the
attempt, open checks the password uncounted; either way one line per 10 s is logged.

Each lock is recorded as an ``account_locked_out`` security event (``phase="locked"``), and so is
each login the lock then refuses (``phase="refused"``, recorded by the exception handler from
:class:`LockedOut`); see ``docs/security-events.rst``.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from rest_framework import exceptions

from django_apisec import signals
from django_apisec.abuse import devices
from django_apisec.abuse.hashing import HashingBusy
from django_apisec.abuse.limiter import LimiterUnavailable, limiter_key
from django_apisec.abuse.usernames import account_id, canonical_username
from django_apisec.conf import apisec_settings
from django_apisec.http.errors import LOCKED_OUT
from django_apisec.http.unavailable import FAILURE_RETRY_AFTER
from django_apisec.observability import events
from django_apisec.request.addresses import client_ip
from django_apisec.request.state import LockoutRefusal, state_of
from django_apisec.store import failures
from django_apisec.store.backends import Script, current_store

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.core.cache.backends.base import BaseCache

    from django_apisec.store.backends import Store

__all__ = [
    "Attempt",
    "LockedOut",
    "give_back",
    "lock_period",
    "locked_accounts",
    "raise_for_lockout",
    "record_failure",
    "record_success",
    "refusal",
    "refuse",
    "reserve",
    "unlock",
]

LOGGER = "django_apisec.abuse.lockout"

#: Why a login was refused before its password was checked (kept in the request's state).
Refusal = LockoutRefusal
#: How long an account's lock level (how many times it locked) is remembered.
LEVEL_MEMORY = 86400

# The reservation, in one round trip. KEYS: failures, lock (one bucket: one hash slot); ARGV:
# window (s), threshold. Returns {lock_ms, slot}: the lock's remaining ms (then no slot is taken),
# or 0 and the slot, or {0, 0} when all T slots are held (then nothing is incremented).
RESERVE_LUA = """
local lock_ms = redis.call('PTTL', KEYS[2])
if lock_ms > 0 then return {lock_ms, 0} end
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[2]) then return {0, 0} end
local slot = redis.call('INCR', KEYS[1])
if slot == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {0, slot}
"""
# Gives back an unused reservation (its password was never checked). KEYS: failures.
RELEASE_LUA = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


def _reserve_in_cache(cache: BaseCache, keys: Sequence[str], args: Sequence[Any]) -> list[int]:
    # The script's answer from get + add + incr; the lock holds its unlock time. An increment past
    # the threshold is taken back at once, so at most T attempts ever hold a slot.
    failures_key, lock_key = keys
    until = cache.get(lock_key)
    if isinstance(until, (int, float)) and until > time.time():
        return [math.ceil((until - time.time()) * 1000), 0]
    cache.add(failures_key, 0, timeout=args[0])
    slot = int(cache.incr(failures_key))
    if slot > args[1]:
        cache.decr(failures_key)
        return [0, 0]
    return [0, slot]


def _release_in_cache(cache: BaseCache, keys: Sequence[str], _args: Sequence[Any]) -> int:
    (failures_key,) = keys
    value = cache.get(failures_key)
    if isinstance(value, int) and value > 0:
        return int(cache.decr(failures_key))
    return 0


RESERVE = Script(RESERVE_LUA, _reserve_in_cache)
RELEASE = Script(RELEASE_LUA, _release_in_cache)
# Polling a full bucket: the first retry soon (a check of the same account is finishing), then
# less often, so waiting attempts cost the store little.
FIRST_POLL = 0.01
LONGEST_POLL = 0.1

RESERVE_FAILURE = failures.FailureLog(LOGGER, "Lockout store unreachable; failing %(policy)s")
LOCK_FAILURE = failures.FailureLog(LOGGER, "Lockout store failed while locking an account")
RESET_FAILURE = failures.FailureLog(LOGGER, "Lockout store failed while resetting a counter")


class LockedOut(exceptions.Throttled):
    """429 for a login refused by the lockout; ``Retry-After`` says when to try again.

    ``account`` identifies the locked account (``django_apisec.abuse.usernames.account_id()``,
    for the security event, never shown to the client).
    """

    default_detail = "Too many failed login attempts, try again later."
    default_code = LOCKED_OUT

    def __init__(self, wait: int, account: str | None = None) -> None:
        super().__init__(wait=wait, detail=self.default_detail, code=self.default_code)
        self.account = account


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


def _keys(bucket: str, username: str) -> tuple[str, str, str]:
    # A bucket's failures and lock share a hash tag: the reservation script uses both.
    return (
        limiter_key("lockout", bucket, "failures"),
        limiter_key("lockout", bucket, "lock"),
        limiter_key("lockout", username, "level"),
    )


def _index_key() -> str:
    return limiter_key("lockout.index", "accounts")


def lock_period(level: int) -> int:
    """Seconds of the ``level``-th lock (1-based); the last period repeats."""
    periods = apisec_settings.LOCKOUT_PERIODS
    return periods[min(max(level, 1), len(periods)) - 1]


def reserve(request: Any, username: object) -> Attempt:
    """Reserve a password check for ``username``; refused when its bucket is locked or full."""
    name = canonical_username(username)
    attempt = Attempt(name, devices.device_for(request, name), admitted=True)
    if request is not None:
        state_of(request).login_account = account_id(name)
    failures_key, lock_key, _ = _keys(attempt.bucket, name)
    args = [apisec_settings.LOCKOUT_WINDOW, apisec_settings.LOCKOUT_THRESHOLD]
    deadline = time.monotonic() + apisec_settings.LOCKOUT_WAIT / 1000
    pause = FIRST_POLL
    while True:
        try:
            lock_ms, slot = failures.attempt(
                lambda store: store.run(RESERVE, [failures_key, lock_key], args), RESERVE_FAILURE
            )
        except failures.StoreFailed as failed:
            return _store_failed(request, attempt, failed)
        if int(lock_ms) > 0:
            return _refused(request, attempt, math.ceil(int(lock_ms) / 1000))
        if int(slot) > 0:
            attempt.failures = int(slot) - 1
            return attempt
        # Every slot is held by an attempt in progress: one of them clears the counter (a right
        # password) or locks the bucket (the T-th wrong one). Wait for it, within the bound.
        left = deadline - time.monotonic()
        if left <= 0:
            # Still full: the lock may be being written by the attempt holding the last slot.
            return _refused(request, attempt, lock_period(1))
        time.sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_POLL)


def give_back(request: Any, attempt: Attempt, retry_after: int) -> None:
    """Return an admitted attempt's slot unused: its password was not checked (server busy).

    The request is then answered 503 with ``Retry-After`` by :func:`raise_for_lockout`. A slot
    given back is not a failure: no password was tried, so the T checks per window still hold.
    """
    _remember(request, Refusal("busy", retry_after))
    if not attempt.counted:
        return
    failures_key, _, _ = _keys(attempt.bucket, attempt.username)
    with contextlib.suppress(failures.StoreFailed):  # logged; the slot expires with the window
        failures.attempt(
            lambda store: store.run(RELEASE, [failures_key], []),
            RESET_FAILURE,
            policy=failures.OPEN,
        )


def _refused(request: Any, attempt: Attempt, retry_after: int) -> Attempt:
    attempt.admitted = False
    attempt.retry_after = max(1, retry_after)
    _remember(request, Refusal("locked", attempt.retry_after, account_id(attempt.username)))
    return attempt


def _store_failed(request: Any, attempt: Attempt, failed: failures.StoreFailed) -> Attempt:
    attempt.counted = False
    if failed.fails_open:
        return attempt
    attempt.admitted = False
    attempt.retry_after = FAILURE_RETRY_AFTER
    _remember(request, Refusal("unavailable", FAILURE_RETRY_AFTER))
    return attempt


def _remember(request: Any, refusal: Refusal) -> None:
    if request is not None:
        state_of(request).lockout_refusal = refusal


def record_failure(request: Any, attempt: Attempt) -> None:
    """The reserved attempt's password was wrong: count it, and lock at the threshold."""
    if not attempt.counted:
        return
    failed = attempt.failures + 1
    signals.login_failed.send(
        sender=Attempt,
        username=attempt.username,
        client_ip=client_ip(request) if request is not None else None,
        failures=failed,
        request=request,
    )
    if failed < apisec_settings.LOCKOUT_THRESHOLD:
        return
    keys = _keys(attempt.bucket, attempt.username)
    try:
        level, period, until = failures.attempt(
            lambda store: _lock(store, attempt, keys), LOCK_FAILURE, policy=failures.OPEN
        )
    except failures.StoreFailed:  # the store failed after the reservation held (logged)
        return
    events.record(
        events.ACCOUNT_LOCKED_OUT,
        request=request,
        outcome=events.BLOCKED,
        phase="locked",
        account=account_id(attempt.username),
        wait=period,
        lockout_level=level,
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
    with contextlib.suppress(failures.StoreFailed):  # logged; the login itself succeeded
        failures.attempt(
            lambda store: store.delete(failures_key), RESET_FAILURE, policy=failures.OPEN
        )
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
    return None if request is None else state_of(request).lockout_refusal


def raise_for_lockout(request: Any) -> None:
    """In a login view, after ``authenticate()`` returned ``None``: answer 429 or 503.

    Raises :class:`LockedOut` (429 + ``Retry-After``) when the account was locked,
    :class:`~django_apisec.abuse.limiter.LimiterUnavailable` (503) when the store was down and the
    policy is closed, or :class:`~django_apisec.abuse.HashingBusy` (503 ``login_busy``)
    when every password-hashing slot stayed busy. Returns when the login simply failed (answer
    401 as usual).
    """
    reason = refusal(request)
    if reason is None:
        return
    _raise(reason)


def refuse(request: Any, attempt: Attempt) -> NoReturn:
    """Answer an attempt :func:`reserve` did not admit: always raises, never lets it through.

    The refusal kept in the request's state decides (429 locked, 503 store down or busy); without
    one (``request`` is ``None``) the attempt's own ``retry_after`` answers 429.
    """
    _raise(refusal(request) or Refusal("locked", attempt.retry_after, account_id(attempt.username)))


def _raise(reason: Refusal) -> NoReturn:
    if reason.reason == "busy":
        raise HashingBusy(reason.retry_after)
    if reason.reason == "unavailable":
        raise LimiterUnavailable(reason.retry_after)
    raise LockedOut(reason.retry_after, reason.account)


def _lock(store: Store, attempt: Attempt, keys: tuple[str, str, str]) -> tuple[int, int, float]:
    # Single-key writes, each in its own slot: (level, period, unlock time).
    failures_key, lock_key, level_key = keys
    level = store.incr(level_key, LEVEL_MEMORY)
    period = lock_period(level)
    until = time.time() + period
    # An int: the reservation script reads the lock's TTL, the cache fallback its value.
    store.set(lock_key, math.ceil(until), period)
    # The counter expires with the lock: then the account gets T more tries.
    store.touch(failures_key, period)
    if attempt.device is None:
        _index_lock(store, attempt.username, until)
    return level, period, until


def _index_lock(store: Store, username: str, until: float) -> None:
    # A listing for `manage.py apisec_lockout list`: read-modify-write, so two accounts locking at
    # the same instant may drop one line; enforcement never reads it.
    now = time.time()
    index = store.get(_index_key()) or {}
    index = {name: end for name, end in index.items() if end > now}
    index[username] = until
    store.set(_index_key(), index, max(apisec_settings.LOCKOUT_PERIODS))


def locked_accounts() -> dict[str, float]:
    """Currently locked accounts (canonical username -> unlock time), for the command.

    A store failure is raised: the command reports it.
    """
    index = current_store().get(_index_key()) or {}
    now = time.time()
    return {name: until for name, until in sorted(index.items()) if until > now}


def unlock(username: object, *, by: str = "api", request: Any = None) -> bool:
    """Unlock an account (its shared bucket) and forget its lock level; ``True`` if it was locked.

    Recorded as an ``account_unlocked`` security event (``account``, ``by``, ``was_locked``;
    with ``request``, the operator's address and user id), then sent as
    :data:`~django_apisec.signals.account_unlocked`. Trusted-device buckets are left alone: they
    cannot be listed, and they expire by themselves. A store failure is raised: the command and
    the security page report it.
    """
    name = canonical_username(username)
    store = current_store()
    failures_key, lock_key, level_key = _keys(name, name)
    was_locked = store.exists(lock_key)
    for key in (failures_key, lock_key, level_key):
        store.delete(key)
    index = store.get(_index_key()) or {}
    if name in index:
        del index[name]
        store.set(_index_key(), index, max(apisec_settings.LOCKOUT_PERIODS))
    events.record(
        events.ACCOUNT_UNLOCKED,
        request=request,
        outcome=events.SUCCESS,
        account=account_id(name),
        by=by,
        was_locked=was_locked,
    )
    signals.account_unlocked.send(sender=Attempt, username=name, by=by, request=request)
    return was_locked
