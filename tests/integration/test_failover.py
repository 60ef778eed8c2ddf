"""A Redis Sentinel failover under load: every answer a decision or 503 + Retry-After.

The testproject in production (4 gunicorn workers, TLS, PostgreSQL) on its own primary +
replica + three sentinels (the session's ``sentinel_group`` is not touched: this test destroys
its primary). Clients keep asking while the primary is killed (SIGKILL, as a crashed machine
vanishes): anonymous ``GET /api/health/`` against an anonymous limit, logins, authenticated
reads. Until the sentinels promote the replica every decision that needs the store is refused
with 503 + ``Retry-After`` (``APISEC_FAILURE_POLICY = "closed"``); afterwards the service answers
again, from the replica's copy of the counters.

Measured and printed (``-s``): the 503 window (from the kill to the last 503), the 503 count,
the anonymous requests admitted beyond the limit (writes the primary acknowledged but never
replicated: Redis replication is asynchronous) and the 5xx other than 503 (always 0). Run::

    APISEC_REQUIRE_SERVICES=1 python -m pytest -n 0 -s tests/integration/test_failover.py
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from django_apisec.testing.topologies import redis_sentinel
from tests.conftest import LOGIN, ME, PASSWORD
from tests.integration.abuse_server import AbuseServer, abuse_server
from tests.services import require_redis_binaries

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from django_apisec.testing.topologies import SentinelGroup

pytestmark = pytest.mark.integration

#: Anonymous requests a client may make (per day: the bucket refills by under 0.1 request
#: during the test, so every admission beyond LIMIT is a lost counter write).
LIMIT = 200
ANONYMOUS_CLIENTS = 4
#: Seconds between two requests of one anonymous client: about 60 requests/s in all, so the
#: limit is still being spent when the primary dies (a write in flight can be lost).
ANONYMOUS_PAUSE = 0.05
#: Load before the kill, and the longest the service may take to answer again after it.
BEFORE_KILL = 1.0
RECOVERY_BOUND = 15.0
#: Load kept up after the last 503, to see the service stay up.
AFTER_RECOVERY = 1.5


@dataclass(frozen=True)
class Answer:
    """One request's outcome: when it was answered (seconds after the kill), what it was."""

    kind: str
    at: float
    status: int  # 0: no HTTP answer (connection refused, reset, timeout)
    retry_after: str | None
    error: str = ""


@dataclass
class Load:
    """Clients that keep asking until told to stop; their answers, in order."""

    server: AbuseServer
    killed_at: float = 0.0
    answers: list[Answer] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ask(self, kind: str, send: Callable[[], tuple[int, str | None]]) -> None:
        """One request of ``kind``, recorded whatever happens."""
        try:
            status, retry_after = send()
            answer = Answer(kind, time.monotonic() - self.killed_at, status, retry_after)
        except Exception as exc:  # noqa: BLE001 - a connection error is a finding, not a crash
            answer = Answer(kind, time.monotonic() - self.killed_at, 0, None, repr(exc))
        with self.lock:
            self.answers.append(answer)

    def client(self, kind: str, send: Callable[[], tuple[int, str | None]], pause: float) -> None:
        """Ask again and again, ``pause`` seconds apart, until :attr:`stop`."""
        while not self.stop.is_set():
            self.ask(kind, send)
            self.stop.wait(pause)

    def of(self, kind: str) -> list[Answer]:
        """The answers to ``kind`` requests."""
        with self.lock:
            return [answer for answer in self.answers if answer.kind == kind]


@pytest.fixture
def failover_group() -> Iterator[SentinelGroup]:
    """A primary, a replica and three sentinels of this test's own: it kills the primary."""
    require_redis_binaries()
    with redis_sentinel() as group:
        yield group


def test_sentinel_failover_under_load_answers_decisions_or_503(
    failover_group: SentinelGroup, template_database: str
) -> None:
    group = failover_group
    with abuse_server(
        REDIS_URL="",
        REDIS_SENTINELS=group.addresses,
        REDIS_SENTINEL_SERVICE=group.service,
        APISEC_RATE_ANON=f"{LIMIT}/day",
        APISEC_RATE_USER="100000/min",
        APISEC_RATE_LOGIN_IP="100000/min",
        APISEC_RATE_LOGIN_ACCOUNT="100000/min",
        template=template_database,
    ) as server:
        server.create_users("alice", password=PASSWORD)
        server.reset()
        login = server.request("POST", LOGIN, {"username": "alice", "password": PASSWORD})
        assert login.status == 200, login.body
        bearer = {"Authorization": f"Bearer {login.json()['access']}"}

        def health() -> tuple[int, str | None]:
            response = server.request("GET", "/api/health/")
            return response.status, response.headers.get("Retry-After")

        def log_in() -> tuple[int, str | None]:
            response = server.request("POST", LOGIN, {"username": "alice", "password": PASSWORD})
            return response.status, response.headers.get("Retry-After")

        def me() -> tuple[int, str | None]:
            response = server.request("GET", ME, headers=bearer)
            return response.status, response.headers.get("Retry-After")

        load = Load(server, killed_at=time.monotonic() + BEFORE_KILL)
        clients = [
            *[("health", health, ANONYMOUS_PAUSE)] * ANONYMOUS_CLIENTS,
            ("login", log_in, 0.05),
            ("me", me, 0.02),
            ("me", me, 0.02),
        ]
        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            running = [pool.submit(load.client, *client) for client in clients]
            time.sleep(max(0.0, load.killed_at - time.monotonic()))
            group.primary.stop()
            load.killed_at = time.monotonic()  # the kill itself is the origin of every time
            recovered = _wait_for_recovery(load)
            load.stop.set()
            for client in running:
                client.result()

        answers = list(load.answers)
        wrong = [a for a in answers if a.status not in {200, 429, 503} or a.error]
        unexplained_503 = [a for a in answers if a.status == 503 and not a.retry_after]
        refused = [a for a in answers if a.status == 503]
        window = max((a.at for a in refused), default=0.0)
        # Spend what is left of the anonymous limit: every 200 beyond LIMIT is over-admission.
        with ThreadPoolExecutor(max_workers=ANONYMOUS_CLIENTS) as pool:
            tail = list(pool.map(lambda _: load.ask("health", health), range(LIMIT)))
        assert len(tail) == LIMIT
        admitted = sum(1 for a in load.of("health") if a.status == 200)
        over_admitted = admitted - LIMIT
        counts = Counter((a.kind, a.status) for a in answers)
        print(  # noqa: T201 - the measured figures (run with -s)
            f"\nSentinel failover under load: {len(answers)} requests, "
            f"503 window {window:.2f}s after the kill ({len(refused)} answers 503 + Retry-After), "
            f"anonymous limit {LIMIT}: {admitted} admitted (over-admission {over_admitted}), "
            f"5xx other than 503: {sum(1 for a in answers if a.status >= 500 and a.status != 503)}"
            f", no answer: {sum(1 for a in answers if a.status == 0)}; by kind and status: "
            f"{dict(sorted(counts.items()))}"
        )
        assert not wrong, wrong[:10]
        assert not unexplained_503, unexplained_503[:10]
        assert refused, "the kill refused nothing: the test did not exercise a failover"
        assert recovered, f"no answer without 503 within {RECOVERY_BOUND}s of the kill"
        assert window < RECOVERY_BOUND
        # Each request after the window was answered: the logins and reads got 200 again.
        for kind in ("login", "me"):
            assert any(a.status == 200 and a.at > window for a in load.of(kind)), kind
        # A lost write is one the primary acknowledged and had not streamed to the replica yet:
        # each anonymous client has one request in flight, so at most one each.
        assert 0 <= over_admitted <= ANONYMOUS_CLIENTS


def _wait_for_recovery(load: Load) -> bool:
    """Wait until every kind of request was answered without 503 for :data:`AFTER_RECOVERY`
    seconds after the last 503, at most :data:`RECOVERY_BOUND` seconds after the kill."""
    while True:
        now = time.monotonic() - load.killed_at
        with load.lock:
            answers = list(load.answers)
        last_503 = max((a.at for a in answers if a.status == 503), default=None)
        if last_503 is not None and now - last_503 >= AFTER_RECOVERY:
            kinds_after = {a.kind for a in answers if a.at > last_503 and a.status != 503}
            if kinds_after >= {"health", "login", "me"}:
                return True
        if now > RECOVERY_BOUND + AFTER_RECOVERY:
            return False
        time.sleep(0.1)
