"""The lockout against a real multi-process server: hashes counted by the server itself.

With django-axes and django-defender, 20 concurrent wrong passwords against a threshold of 5 all
reached the password hasher, and a correct password sent next logged in (docs/benchmarks.rst).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from tests.conftest import LOGIN, PASSWORD
from tests.integration.abuse_server import AbuseServer, abuse_server

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

THRESHOLD = 5


@pytest.fixture(scope="module")
def server(shape: str, template_database: str) -> Iterator[AbuseServer]:
    with abuse_server(
        shape=shape,
        template=template_database,
        APISEC_RATE_ANON="100000/min",
        APISEC_RATE_USER="100000/min",
        APISEC_LOCKOUT_THRESHOLD=str(THRESHOLD),
        # What this module counts is the lockout's bound on password checks. The hashing slots
        # bound them too: an ASGI worker here has 2 slots and room for 2 waiting logins, so when
        # the lockout admits all 5 checks into one worker, the fifth is answered 503 login_busy
        # by design (tests/integration/test_login_flood.py). Slots for every check the lockout
        # admits, so only the lockout decides here.
        APISEC_HASHING_SLOTS=str(THRESHOLD),
    ) as running:
        running.create_users("alice", "bob", "carol", password=PASSWORD)
        yield running


@pytest.fixture(autouse=True)
def _fresh_counters(server: AbuseServer) -> None:
    server.reset()


def login(server: AbuseServer, username: str, password: str) -> tuple[int, bytes]:
    response = server.request("POST", LOGIN, {"username": username, "password": password})
    assert response.status < 500
    return response.status, response.body


@pytest.mark.parametrize("concurrency", [20, 60])
def test_concurrent_wrong_passwords_run_at_most_threshold_hashes(
    server: AbuseServer, concurrency: int
) -> None:
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda _: login(server, "alice", "wrong"), range(concurrency)))
    assert all(status != 200 for status, _ in results)
    assert server.hashes() <= THRESHOLD
    # The owner's correct password is refused now, and costs no hash.
    before = server.hashes()
    status, _ = login(server, "alice", PASSWORD)
    assert status != 200
    assert server.hashes() == before


def test_username_variants_share_one_lock(server: AbuseServer) -> None:
    variants = ["Alice", "ALICE", "\uff41\uff4c\uff49\uff43\uff45", "aLiCe", "\uff21lice"]
    for name in variants:
        assert login(server, name, "wrong")[0] == 401
    before = server.hashes()
    assert before == THRESHOLD
    assert login(server, "alice", PASSWORD)[0] != 200
    assert server.hashes() == before


def test_a_nonexistent_account_locks_exactly_like_a_real_one(server: AbuseServer) -> None:
    def run(name: str) -> list[tuple[int, bytes, int]]:
        outcome = []
        for _ in range(THRESHOLD + 2):
            before = server.hashes()
            status, body = login(server, name, "wrong")
            outcome.append((status, body, server.hashes() - before))
        return outcome

    real, ghost = run("bob"), run("nobody-at-all")
    assert real == ghost
    assert [hashes for _, _, hashes in real] == [1] * THRESHOLD + [0, 0]


def test_a_correct_password_below_the_threshold_logs_in(server: AbuseServer) -> None:
    for _ in range(THRESHOLD - 1):
        login(server, "carol", "wrong")
    assert login(server, "carol", PASSWORD)[0] == 200
