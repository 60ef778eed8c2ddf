"""Bounded password hashing: the Argon2id parameters, and at most N hashes at once per process.

A password hash is the most expensive thing the API does, and anyone who can POST a login form
can ask for one. Unbounded, a few hundred concurrent logins run a few hundred hashes at once: each
allocates its Argon2 memory, all of them share the CPUs, every one finishes late, and every other
request waits behind them. So each worker process runs at most ``APISEC_HASHING_SLOTS`` hashes at
once (:class:`~django_apisec.abuse.backends.LockoutModelBackend` takes a slot around the password
check); a login that finds every slot busy waits up to ``APISEC_HASHING_WAIT`` ms for one, then
is answered 503 with the stable code ``login_busy`` and ``Retry-After`` (:class:`HashingBusy`).
At most as many logins wait as there are slots; any further one is answered at once, so waiting
logins never hold more than that many worker threads, and the others keep serving requests.

The hashes themselves run on that many dedicated threads per process (:func:`on_hashing_thread`):
glibc keeps an Argon2 block in the malloc arena of every thread that ever hashed, so hashing on
the request threads would leave one block per thread, not per slot.

The parameters are chosen for that bound: :class:`Argon2idPasswordHasher` is OWASP's recommended
Argon2id (19 MiB, 2 passes, 1 lane), so one concurrent login costs 19 MiB instead of the 100 MiB
of Django's default (102400 KiB, 2 passes, 8 lanes). Peak hashing memory of a host is then
``memory per hash x slots x worker processes``; the deploy check ``apisec.E312`` compares it with
``APISEC_HASHING_MEMORY_BUDGET``.

:func:`busy_hashing_slots` tells how many slots of this process are in use, for a gauge.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.utils.module_loading import import_string
from rest_framework import exceptions, status

from django_apisec import signals
from django_apisec.conf import apisec_settings

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "Argon2idPasswordHasher",
    "HashingBusy",
    "busy_hashing_slots",
    "hash_memory",
    "hashing_slots",
    "worker_processes",
]

T = TypeVar("T")
MIB = 1024 * 1024
#: ``Retry-After`` (seconds) of a login refused because every hashing slot stayed busy.
BUSY_RETRY_AFTER = 1
#: The stable ``code`` of that 503.
LOGIN_BUSY = "login_busy"


def on_hashing_thread(function: Callable[..., T], *args: Any) -> T:
    """Run ``function(*args)`` (a password hash) on one of this process's hashing threads.

    glibc gives each thread that allocates its own malloc arena and keeps an Argon2 block of
    19 MiB (100 MiB with Django's defaults) in it after the hash: with hashes run on the request
    threads, a gthread worker of 8 threads ends up holding 8 blocks, though only one hash ran at a
    time. Run on :func:`hashing_slots` dedicated threads, at most that many blocks stay.
    """
    size = hashing_slots()
    with _POOLS_LOCK:
        pool = _POOLS.get(size)
        if pool is None:
            pool = _POOLS[size] = ThreadPoolExecutor(size, thread_name_prefix="apisec-hashing")
    return pool.submit(function, *args).result()


_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()
# A forked child (gunicorn --preload) inherits the dictionary but not the threads.
os.register_at_fork(after_in_child=_POOLS.clear)


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Django's Argon2 (Argon2id, same ``argon2`` hashes) with OWASP's recommended parameters.

    ``memory_cost=19456`` KiB (19 MiB), ``time_cost=2``, ``parallelism=1``: OWASP's Password
    Storage Cheat Sheet recommendation, and about a fifth of the memory of Django's default
    (102400 KiB, 2 passes, 8 lanes) for a hash of the same cracking cost per guessed password
    on GPUs. One lane, because a server runs many logins at once: lanes only speed up one hash
    when cores are idle, and they are not during a flood. Memory per concurrent login: 19 MiB.

    Hashes made with other parameters (Django's defaults included) verify as before and are
    rehashed with these at the user's next successful login (Django's ``must_update``).
    """

    memory_cost = 19456
    time_cost = 2
    parallelism = 1

    def encode(self, password: str, salt: str) -> str:
        """Django's encode, on a hashing thread (:func:`on_hashing_thread`)."""
        return on_hashing_thread(super().encode, password, salt)

    def verify(self, password: str, encoded: str) -> bool:
        """Django's verify, on a hashing thread (:func:`on_hashing_thread`)."""
        return on_hashing_thread(super().verify, password, encoded)


class HashingBusy(exceptions.APIException):
    """503 + ``Retry-After``: every hashing slot stayed busy for ``APISEC_HASHING_WAIT`` ms."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Too many logins at once, try again in a moment."
    default_code = LOGIN_BUSY

    def __init__(self, wait: int = BUSY_RETRY_AFTER) -> None:
        super().__init__()
        self.wait = wait


def hash_memory(hasher: Any) -> int:
    """Bytes one hash by ``hasher`` (a class or an instance) allocates; 0 when negligible.

    Argon2: ``memory_cost`` KiB. scrypt: 128 x ``block_size`` x ``work_factor`` bytes. PBKDF2 and
    bcrypt use a few KiB.
    """
    memory_cost = getattr(hasher, "memory_cost", None)
    if isinstance(memory_cost, int) and getattr(hasher, "algorithm", "") == "argon2":
        return memory_cost * 1024
    work_factor = getattr(hasher, "work_factor", None)
    block_size = getattr(hasher, "block_size", None)
    if isinstance(work_factor, int) and isinstance(block_size, int):
        return 128 * block_size * work_factor
    return 0


def _preferred_hasher() -> Any:
    # The hasher new hashes (and most checks, after the upgrade) use.
    hashers = getattr(settings, "PASSWORD_HASHERS", None)
    if not isinstance(hashers, (list, tuple)) or not hashers or not isinstance(hashers[0], str):
        return None
    try:
        return import_string(hashers[0])
    except (ImportError, TypeError, ValueError):  # apisec.E030 reports it
        return None


def worker_processes() -> int | None:
    """Worker processes per host, from ``WEB_CONCURRENCY`` (gunicorn's default); ``None``: unset."""
    try:
        value = int(os.environ.get("WEB_CONCURRENCY", ""))
    except ValueError:
        return None
    return value if value > 0 else None


def available_cpus() -> int:
    """CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)  # pragma: no cover - platforms without affinity


def hashing_slots() -> int:
    """How many password hashes this process runs at once (``APISEC_HASHING_SLOTS``).

    Automatic (``None``): the CPUs shared by the worker processes (``WEB_CONCURRENCY``, else one),
    at least 1, then fewer if that many hashes of every worker together would exceed
    ``APISEC_HASHING_MEMORY_BUDGET``.
    """
    configured = apisec_settings.HASHING_SLOTS
    if configured is not None:
        return configured
    workers = worker_processes() or 1
    slots = max(1, available_cpus() // workers)
    memory = hash_memory(_preferred_hasher())
    if memory:
        affordable = apisec_settings.HASHING_MEMORY_BUDGET * MIB // (memory * workers)
        slots = max(1, min(slots, affordable))
    return slots


class _Slots:
    """A counting semaphore whose size is read at each acquisition (settings may change).

    At most ``size`` callers wait at once: a caller beyond them is refused at once, so waiting
    logins never hold more than ``size`` worker threads besides the ``size`` that hash.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self.busy = 0
        self.waiting = 0

    def acquire(self, size: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._condition:
            if self.busy >= size and self.waiting >= size:
                return False
            self.waiting += 1
            try:
                while self.busy >= size:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._condition.wait(left)
            finally:
                self.waiting -= 1
            self.busy += 1
            return True

    def release(self) -> None:
        with self._condition:
            self.busy -= 1
            self._condition.notify()


_SLOTS = _Slots()


def acquire_slot() -> bool:
    """Take a hashing slot of this process, waiting up to ``APISEC_HASHING_WAIT`` ms.

    ``False`` when none freed in time, or at once when as many logins as there are slots are
    already waiting; after ``True``, call :func:`release_slot` exactly once.
    """
    slots = hashing_slots()
    taken = _SLOTS.acquire(slots, apisec_settings.HASHING_WAIT / 1000)
    if taken:
        _announce(slots)
    return taken


def release_slot() -> None:
    """Give back the slot taken by :func:`acquire_slot`."""
    _SLOTS.release()
    _announce(hashing_slots())


def _announce(slots: int) -> None:
    """Send ``hashing_slots_changed`` (a receiver's error is its own: never the login's)."""
    signals.hashing_slots_changed.send_robust(sender=_Slots, busy=_SLOTS.busy, slots=slots)


def busy_hashing_slots() -> int:
    """Hashing slots of this process in use right now (from 0 to :func:`hashing_slots`).

    For a monitoring gauge: a value that stays at :func:`hashing_slots` means logins are waiting
    and some are answered 503 ``login_busy``.
    """
    return _SLOTS.busy
