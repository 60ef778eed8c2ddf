"""Bounded password hashing: slots per process, 503 ``login_busy``, the Argon2id parameters and
their upgrade, the memory-budget check (apisec.E312). The multi-process flood is in
tests/integration/test_login_flood.py.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    MD5PasswordHasher,
    identify_hasher,
)
from django.core.cache import caches
from django.db import connection
from django.test import RequestFactory, override_settings
from rest_framework.test import APIClient

from django_apisec.abuse import busy_hashing_slots, hashing, hashing_slots
from django_apisec.abuse.hashing import Argon2idPasswordHasher, hash_memory
from django_apisec.checks.hashing import check_hashing_memory
from tests.conftest import LOGIN, PASSWORD

BACKEND = "django_apisec.abuse.backends.LockoutModelBackend"
ARGON2ID = "django_apisec.abuse.hashing.Argon2idPasswordHasher"
DJANGO_ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
PBKDF2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


class CountingHasher(MD5PasswordHasher):
    """MD5 (fast) counting its hashes: one per password check."""

    calls = 0
    lock = threading.Lock()

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        with self.lock:
            CountingHasher.calls += 1
        return super().encode(password, salt)


class SlowCountingHasher(CountingHasher):
    """Takes 20 ms, and records how many of its hashes ran at once."""

    running = peak = 0

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        with self.lock:
            SlowCountingHasher.running += 1
            SlowCountingHasher.peak = max(SlowCountingHasher.peak, SlowCountingHasher.running)
        time.sleep(0.02)
        with self.lock:
            SlowCountingHasher.running -= 1
        return super().encode(password, salt)


FLOOD_SETTINGS: dict[str, Any] = {
    "AUTHENTICATION_BACKENDS": [BACKEND],
    "PASSWORD_HASHERS": [f"{__name__}.CountingHasher"],
    "APISEC_LOCKOUT_THRESHOLD": 3,
    "CACHES": LOCMEM,
    "APISEC_CACHE": "default",
    "APISEC_HASHING_SLOTS": 1,
    "APISEC_HASHING_WAIT": 50,
}


@pytest.fixture
def flood_settings() -> Any:
    with override_settings(**FLOOD_SETTINGS):
        caches["default"].clear()
        CountingHasher.calls = 0
        yield


@pytest.fixture
def all_slots_busy(flood_settings: None) -> Any:
    """This process's only hashing slot, held by a (simulated) login in progress."""
    assert hashing.acquire_slot()
    try:
        yield
    finally:
        hashing.release_slot()


def post_login(password: str, username: str = "alice") -> Any:
    return APIClient().post(LOGIN, {"username": username, "password": password}, format="json")


@pytest.mark.django_db
def test_a_login_finding_every_slot_busy_gets_503_login_busy_and_no_hash(
    alice: Any, all_slots_busy: None
) -> None:
    CountingHasher.calls = 0
    started = time.monotonic()
    response = post_login(PASSWORD)
    waited = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["code"] == "login_busy"
    assert response["Retry-After"] == "1"
    assert CountingHasher.calls == 0
    assert waited >= 0.05  # it waited APISEC_HASHING_WAIT for a slot first
    assert busy_hashing_slots() == 1


@pytest.mark.django_db
def test_a_busy_login_gives_its_lockout_reservation_back(alice: Any, flood_settings: None) -> None:
    # Threshold 3: two failures, then a login refused for lack of a slot. Had the refused login
    # kept its reservation, the bucket would be full and the right password refused.
    for _ in range(2):
        assert post_login("wrong").status_code == 401
    assert hashing.acquire_slot()
    try:
        assert post_login("wrong").status_code == 503
    finally:
        hashing.release_slot()
    assert post_login(PASSWORD).status_code == 200


@pytest.mark.django_db
def test_a_locked_account_is_refused_before_waiting_for_a_slot(
    alice: Any, all_slots_busy: None
) -> None:
    with override_settings(APISEC_HASHING_SLOTS=2):
        for _ in range(3):
            assert post_login("wrong").status_code == 401
    started = time.monotonic()
    response = post_login(PASSWORD)
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert time.monotonic() - started < 0.05 + 0.5  # no wait for the busy slot was needed


@pytest.mark.django_db(transaction=True)
def test_at_most_the_configured_hashes_run_at_once(flood_settings: None) -> None:
    get_user_model().objects.create_user("alice", password=PASSWORD)
    SlowCountingHasher.running = SlowCountingHasher.peak = 0
    barrier = threading.Barrier(12)
    outcomes: list[Any] = []

    def login(index: int) -> None:
        barrier.wait()
        try:
            request = RequestFactory().post(LOGIN)
            outcomes.append(authenticate(request, username=f"user{index}", password="x"))
        finally:
            connection.close()

    with override_settings(
        PASSWORD_HASHERS=[f"{__name__}.SlowCountingHasher"],
        APISEC_HASHING_SLOTS=2,
        APISEC_HASHING_WAIT=5000,
    ):
        threads = [threading.Thread(target=login, args=(i,)) for i in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert outcomes == [None] * 12
    assert SlowCountingHasher.peak == 2
    assert busy_hashing_slots() == 0


def test_automatic_slots_follow_cpus_workers_and_the_memory_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hashing, "available_cpus", lambda: 8)
    with override_settings(PASSWORD_HASHERS=[ARGON2ID], APISEC_HASHING_SLOTS=None):
        monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
        assert hashing_slots() == 8
        monkeypatch.setenv("WEB_CONCURRENCY", "4")
        assert hashing_slots() == 2
        monkeypatch.setenv("WEB_CONCURRENCY", "16")
        assert hashing_slots() == 1
        monkeypatch.setenv("WEB_CONCURRENCY", "2")
        with override_settings(APISEC_HASHING_MEMORY_BUDGET=100):  # 100 MiB / (19 MiB x 2)
            assert hashing_slots() == 2
        with override_settings(PASSWORD_HASHERS=[DJANGO_ARGON2]):  # 512 / (100 x 2)
            assert hashing_slots() == 2
        with override_settings(PASSWORD_HASHERS=[DJANGO_ARGON2], APISEC_HASHING_MEMORY_BUDGET=64):
            assert hashing_slots() == 1  # never 0: a login must be possible
        with override_settings(APISEC_HASHING_SLOTS=6):
            assert hashing_slots() == 6


def test_hash_memory_per_algorithm() -> None:
    assert hash_memory(Argon2idPasswordHasher) == 19 * 1024 * 1024
    assert hash_memory(Argon2PasswordHasher) == 100 * 1024 * 1024
    assert hash_memory(MD5PasswordHasher) == 0


def test_the_parameters_are_owasps_recommendation() -> None:
    hasher = Argon2idPasswordHasher()
    assert (hasher.memory_cost, hasher.time_cost, hasher.parallelism) == (19456, 2, 1)
    assert hasher.algorithm == "argon2"
    encoded = hasher.encode(PASSWORD, hasher.salt())
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.django_db
@pytest.mark.parametrize("old", [DJANGO_ARGON2, PBKDF2])
def test_old_hashes_verify_and_are_upgraded_at_the_next_login(old: str) -> None:
    with override_settings(PASSWORD_HASHERS=[old]):
        user = get_user_model().objects.create_user("carol", password=PASSWORD)
        assert not user.password.startswith("argon2$argon2id$v=19$m=19456")
    with override_settings(
        PASSWORD_HASHERS=[ARGON2ID, PBKDF2], AUTHENTICATION_BACKENDS=[BACKEND], CACHES=LOCMEM
    ):
        assert authenticate(RequestFactory().post(LOGIN), username="carol", password=PASSWORD)
        user.refresh_from_db()
        assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
        assert isinstance(identify_hasher(user.password), Argon2idPasswordHasher)
        # And the new hash verifies.
        assert authenticate(RequestFactory().post(LOGIN), username="carol", password=PASSWORD)


def e312(**overrides: Any) -> list[str]:
    with override_settings(**overrides):
        return [message.msg for message in check_hashing_memory()]


def test_e312_when_hash_memory_times_slots_times_workers_exceeds_the_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hashing, "available_cpus", lambda: 8)
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    # Automatic slots stay within the budget, whatever the hasher.
    assert e312(PASSWORD_HASHERS=[ARGON2ID], APISEC_HASHING_SLOTS=None) == []
    assert e312(PASSWORD_HASHERS=[DJANGO_ARGON2], APISEC_HASHING_SLOTS=None) == []
    # 19 MiB x 8 x 4 = 608 MiB > 512.
    [message] = e312(PASSWORD_HASHERS=[ARGON2ID], APISEC_HASHING_SLOTS=8)
    assert message.startswith("Password hashing may take 608 MiB at once on this host: 19 MiB")
    assert "4 worker processes (WEB_CONCURRENCY)" in message
    assert (
        e312(PASSWORD_HASHERS=[ARGON2ID], APISEC_HASHING_SLOTS=8, APISEC_HASHING_MEMORY_BUDGET=1024)
        == []
    )
    # Django's default Argon2: 100 MiB x 2 x 4 = 800 MiB.
    assert e312(PASSWORD_HASHERS=[DJANGO_ARGON2], APISEC_HASHING_SLOTS=2)
    # A hasher without memory cost.
    assert e312(PASSWORD_HASHERS=[PBKDF2], APISEC_HASHING_SLOTS=1024) == []
    monkeypatch.delenv("WEB_CONCURRENCY")
    [message] = e312(PASSWORD_HASHERS=[DJANGO_ARGON2], APISEC_HASHING_SLOTS=8)
    assert "1 worker process (WEB_CONCURRENCY unset)" in message


def test_at_most_as_many_logins_wait_as_there_are_slots(flood_settings: None) -> None:
    with override_settings(APISEC_HASHING_WAIT=5000):
        assert hashing.acquire_slot()  # the only slot, hashing
        waiter_done = threading.Event()
        outcome: list[bool] = []

        def wait_for_the_slot() -> None:
            outcome.append(hashing.acquire_slot())
            waiter_done.set()

        waiter = threading.Thread(target=wait_for_the_slot)
        waiter.start()
        deadline = time.monotonic() + 5
        while hashing._SLOTS.waiting == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        # One login waits already: the next is refused at once, not after 5 s.
        started = time.monotonic()
        assert not hashing.acquire_slot()
        assert time.monotonic() - started < 1
        hashing.release_slot()
        assert waiter_done.wait(5)
        waiter.join()
        assert outcome == [True]
        hashing.release_slot()
    assert busy_hashing_slots() == 0


def test_argon2_hashes_run_on_the_slots_dedicated_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    # glibc keeps each hashing thread's Argon2 block: hashes from 8 request threads must run on
    # no more threads than there are slots.
    threads: set[str] = set()
    verify = Argon2PasswordHasher.verify

    def recording_verify(self: Any, password: str, encoded: str) -> bool:
        threads.add(threading.current_thread().name)
        return verify(self, password, encoded)

    monkeypatch.setattr(Argon2PasswordHasher, "verify", recording_verify)
    hasher = Argon2idPasswordHasher()
    encoded = hasher.encode(PASSWORD, hasher.salt())
    with override_settings(APISEC_HASHING_SLOTS=2):
        requests = [
            threading.Thread(target=hasher.verify, args=(PASSWORD, encoded)) for _ in range(8)
        ]
        for thread in requests:
            thread.start()
        for thread in requests:
            thread.join()
    assert 1 <= len(threads) <= 2
    assert all(name.startswith("apisec-hashing") for name in threads)


@pytest.mark.django_db
def test_busy_logins_still_count_toward_the_login_throttle(
    alice: Any, all_slots_busy: None
) -> None:
    # A 503 login_busy is not a way around the per-address login throttle: 2 per minute here,
    # so the third login from the address is throttled (429) although none was hashed.
    rates = {"login_ip": "2/min", "login_account": None, "anon": None, "user": None}
    with override_settings(
        REST_FRAMEWORK={
            "DEFAULT_THROTTLE_RATES": rates,
            "EXCEPTION_HANDLER": "django_apisec.http.exception_handler.exception_handler",
        }
    ):
        statuses = [post_login(PASSWORD).status_code for _ in range(3)]
    assert statuses == [503, 503, 429]
    assert CountingHasher.calls == 0


@pytest.mark.parametrize("hashers", ["not a list", [], ["no.such.Hasher"], [42]])
def test_an_unusable_password_hashers_setting_leaves_at_least_one_slot(hashers: Any) -> None:
    with override_settings(PASSWORD_HASHERS=hashers, APISEC_HASHING_SLOTS=None):
        assert hashing._preferred_hasher() is None
        assert hashing_slots() >= 1
        assert check_hashing_memory() == []  # apisec.E030 reports the setting, not E312


def test_a_hit_given_back_without_a_counted_attempt_changes_nothing() -> None:
    from django_apisec.abuse import lockout

    cache = caches["default"]
    cache.set("t-failures", "garbage")
    assert lockout._release_in_cache(cache, ["t-failures"], []) == 0
    assert cache.get("t-failures") == "garbage"
    cache.set("t-failures", 0)
    assert lockout._release_in_cache(cache, ["t-failures"], []) == 0
    request = RequestFactory().post(LOGIN)
    attempt = lockout.Attempt(username="alice", device=None, admitted=True, counted=False)
    lockout.give_back(request, attempt, retry_after=1)  # nothing was reserved: nothing to return
    assert cache.get("t-failures") == 0
