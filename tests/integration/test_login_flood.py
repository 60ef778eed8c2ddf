"""Concurrent logins of one account against a real multi-process, multi-threaded server.

Both sides of the lockout's reservation, with 32 requests in flight at once (4 gthread workers x 8
threads): correct logins of one account all succeed (before ``APISEC_LOCKOUT_WAIT``, with a
threshold of 5, 18 of 41 succeeded in a run and the rest were 429s), and wrong guesses still run at
most T password hashes (counted by the server's own hasher, ``abuse_hashers``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from tests.conftest import LOGIN, PASSWORD
from tests.integration.abuse_server import AbuseServer, abuse_server
from tests.integration.support import UNTHROTTLED

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

THRESHOLD = 5
CONCURRENCY = 40


@pytest.fixture(scope="module")
def server() -> Iterator[AbuseServer]:
    with abuse_server(
        threads=8,
        **UNTHROTTLED,
        APISEC_LOCKOUT_THRESHOLD=str(THRESHOLD),
        # This machine is shared and slow: a long enough wait that the property, not the load,
        # decides (the bound itself is tested in tests/test_lockout.py), and a hashing slot per
        # thread: the bound on concurrent hashes, which answers 503 login_busy when a process is
        # full, is tested in tests/test_hashing.py and measured by bench/login_flood.py.
        APISEC_LOCKOUT_WAIT="60000",
        APISEC_HASHING_SLOTS="8",
    ) as running:
        running.create_users("service", "alice", password=PASSWORD)
        yield running


@pytest.fixture(autouse=True)
def _fresh_counters(server: AbuseServer) -> None:
    server.reset()


def login_status(server: AbuseServer, username: str, password: str) -> int:
    response = server.request("POST", LOGIN, {"username": username, "password": password})
    return response.status


def flood(server: AbuseServer, username: str, password: str) -> list[int]:
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        return list(
            pool.map(lambda _: login_status(server, username, password), range(CONCURRENCY))
        )


def test_concurrent_correct_logins_of_one_account_all_succeed(server: AbuseServer) -> None:
    statuses = flood(server, "service", PASSWORD)
    assert statuses == [200] * CONCURRENCY
    assert server.hashes() == CONCURRENCY


def test_concurrent_wrong_guesses_still_run_at_most_threshold_hashes(server: AbuseServer) -> None:
    statuses = flood(server, "alice", "wrong")
    assert server.hashes() <= THRESHOLD
    assert sorted(set(statuses)) == [401, 429]
    assert statuses.count(401) <= THRESHOLD
    # The owner's correct password is refused now, without a hash.
    before = server.hashes()
    assert login_status(server, "alice", PASSWORD) == 429
    assert server.hashes() == before
