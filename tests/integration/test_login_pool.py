"""The login pool of docs/deployment.rst ("Logins on a pool of their own"), on a real gunicorn.

A pool that serves only the password endpoints, with one hashing slot per worker, is given two
threads per slot: one hashing, one preparing the next login or waiting for the slot. Then no
login of a flood is refused ``503 login_busy``; the surplus waits in the pool's queue, and every
login is answered on its merits. With the API pool's eight threads per worker, the same flood is
partly refused busy: the shape, not luck, decides. 40 concurrent correct logins of 40 accounts
(so that the lockout's reservations play no part), against one worker with one slot; the slot
wait is long (5 s) so that this shared machine's speed cannot decide either way. The gthread
threads are what the property is about: WSGI only. The reads' latency beside such a pool is a
timing and is measured by ``bench/login_flood.py --variants split``, not asserted here.
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

ACCOUNTS = [f"member{n}" for n in range(40)]
SLOTS = 1


@pytest.fixture(scope="module", params=[2 * SLOTS, 8], ids=["login-pool", "api-pool"])
def server(request: pytest.FixtureRequest, template_database: str) -> Iterator[AbuseServer]:
    with abuse_server(
        workers=1,
        threads=request.param,
        template=template_database,
        WEB_CONCURRENCY="1",
        **UNTHROTTLED,
        APISEC_HASHING_SLOTS=str(SLOTS),
        APISEC_HASHING_WAIT="5000",
    ) as running:
        running.create_users(*ACCOUNTS, password=PASSWORD)
        running.reset()
        yield running


def flood(server: AbuseServer) -> list[tuple[int, str | None]]:
    """Every account logs in once, all at the same time: (status, Retry-After) of each."""

    def login(username: str) -> tuple[int, str | None]:
        response = server.request("POST", LOGIN, {"username": username, "password": PASSWORD})
        return response.status, response.headers.get("Retry-After")

    with ThreadPoolExecutor(max_workers=len(ACCOUNTS)) as pool:
        return list(pool.map(login, ACCOUNTS))


def test_two_threads_per_slot_answer_every_login_of_a_flood(
    server: AbuseServer, request: pytest.FixtureRequest
) -> None:
    answers = flood(server)
    statuses = [status for status, _ in answers]
    if request.node.callspec.id == "login-pool":
        assert statuses == [200] * len(ACCOUNTS)
        assert server.hashes() == len(ACCOUNTS)
    else:
        # Eight threads take eight logins at once: one hashes, one waits, the others are busy.
        assert statuses.count(503) >= 1
        assert sorted(set(statuses)) == [200, 503]
        assert all(after == "1" for status, after in answers if status == 503)
        assert server.hashes() == statuses.count(200)
