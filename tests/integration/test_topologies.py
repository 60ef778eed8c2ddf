"""The abuse controls on Redis Sentinel and Redis Cluster, started by the tests themselves.

The testproject in production (4 gunicorn workers, TLS, PostgreSQL) with its cache selected by
``REDIS_SENTINELS`` + ``REDIS_SENTINEL_SERVICE`` (django-redis's SentinelClient) or
``REDIS_CLUSTER_NODES`` (RedisClusterCache), on a primary + replica + three sentinels or a
3-primary cluster on free loopback ports (``tests/conftest.py``). The same properties as on one
server: exact admission, at most the threshold of password checks, revocation in every worker.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from tests.conftest import LOGIN, PASSWORD
from tests.integration.abuse_server import AbuseServer, abuse_server
from tests.integration.support import UNTHROTTLED

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

pytestmark = pytest.mark.integration

LIMIT = 100
REQUESTS = 400
CONCURRENCY = 100
THRESHOLD = 5
GUESSES = 40


@dataclass
class Deployment:
    server: AbuseServer
    flush: Callable[[], None]

    def reset(self) -> None:
        self.flush()
        self.server.reset()


@pytest.fixture(scope="module", params=["sentinel", "cluster"])
def deployment(request: pytest.FixtureRequest) -> Iterator[Deployment]:
    if request.param == "sentinel":
        group = request.getfixturevalue("sentinel_group")
        env = {"REDIS_SENTINELS": group.addresses, "REDIS_SENTINEL_SERVICE": group.service}
    else:
        group = request.getfixturevalue("cluster")
        env = {"REDIS_CLUSTER_NODES": group.addresses}
    with abuse_server(
        REDIS_URL="",
        **(UNTHROTTLED | {"APISEC_RATE_ANON": f"{LIMIT}/hour"}),
        APISEC_LOCKOUT_THRESHOLD=str(THRESHOLD),
        **env,
    ) as running:
        running.create_users("alice", "bob", password=PASSWORD)
        yield Deployment(running, group.flush)


def test_concurrent_requests_admit_exactly_the_limit(deployment: Deployment) -> None:
    deployment.reset()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        statuses = list(
            pool.map(
                lambda _: deployment.server.request("GET", "/api/health/").status, range(REQUESTS)
            )
        )
    assert statuses.count(200) == LIMIT
    assert statuses.count(429) == REQUESTS - LIMIT


def test_concurrent_guesses_run_at_most_threshold_password_checks(deployment: Deployment) -> None:
    deployment.reset()
    server = deployment.server

    def guess(_: int) -> int:
        return server.request("POST", LOGIN, {"username": "alice", "password": "wrong"}).status

    with ThreadPoolExecutor(max_workers=GUESSES) as pool:
        statuses = list(pool.map(guess, range(GUESSES)))
    assert set(statuses) <= {401, 429, 423, 403}, statuses
    assert server.hashes() <= THRESHOLD
    before = server.hashes()
    owner = server.request("POST", LOGIN, {"username": "alice", "password": PASSWORD})
    assert owner.status != 200
    assert server.hashes() == before


def test_logout_all_reaches_every_worker(deployment: Deployment) -> None:
    deployment.reset()
    server = deployment.server
    tokens = []
    for _ in range(2):
        response = server.request("POST", LOGIN, {"username": "bob", "password": PASSWORD})
        assert response.status == 200, response.body
        tokens.append(response.json()["access"])
    auth = {"Authorization": f"Bearer {tokens[0]}"}
    assert server.request("GET", "/api/me/", headers=auth).status == 200
    assert server.request("POST", "/api/auth/logout-all/", headers=auth).status == 204
    # 16 new connections: every one of the 4 workers answers some of them.
    for _ in range(8):
        for token in tokens:
            status = server.request(
                "GET", "/api/me/", headers={"Authorization": f"Bearer {token}"}
            ).status
            assert status == 401
