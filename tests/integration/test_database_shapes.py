"""PostgreSQL under WSGI and ASGI: connections bounded by the pool, and a database that cannot
serve answered 503 + Retry-After, never 500.

Under ASGI every request runs in a thread of its own and Django's persistent connections are per
thread: with ``CONN_MAX_AGE=600`` a 32-client burst left a connection behind per request until
PostgreSQL refused ("too many clients") and the API answered 500. The testproject now uses
psycopg's pool (``DATABASES["default"]["OPTIONS"]["pool"]``, ``DATABASE_POOL_MAX_SIZE`` per
worker process): the burst is served and the database never sees more than workers x pool size
connections. A database that does not exist (dropped, a wrong URL: every connection attempt
fails, and the pool gives up after ``DATABASE_POOL_TIMEOUT``) is a 503 with the stable
``service_unavailable`` code and ``Retry-After``, logged as ``database_unavailable``.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest

from django_apisec.testing.server import postgres_url
from tests.integration.support import UNTHROTTLED, log_in

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

    from django_apisec.testing.server import Server

pytestmark = pytest.mark.integration

PASSWORD = "database shapes passphrase 42"
WORKERS = 2
POOL_SIZE = 4
BURST = 32
UNAVAILABLE = {
    "detail": "Service temporarily unavailable, try again later.",
    "code": "service_unavailable",
}


@pytest.fixture(scope="module")
def server(deploy: Callable[..., AbstractContextManager[Server]]) -> Iterator[Server]:
    with deploy(
        "database_shapes",
        users=("alice",),
        password=PASSWORD,
        DATABASE_POOL_MAX_SIZE=str(POOL_SIZE),
        **UNTHROTTLED,
    ) as running:
        yield running


def connections(database_url: str) -> int:
    """The connections PostgreSQL has open to the server's database now."""
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_burst_is_served_within_the_pool(server: Server) -> None:
    token = log_in(server, "alice", PASSWORD).json()["access"]
    database_url = server.env["DATABASE_URL"]
    peak = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, connections(database_url))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=BURST) as pool:
            statuses = list(
                pool.map(
                    lambda _: server.request("GET", "/api/notes/", token=token).status,
                    range(4 * BURST),
                )
            )
    finally:
        done.set()
        watcher.join()
    print(f"peak database connections during the burst: {peak}")  # noqa: T201 - the figure
    assert statuses == [200] * (4 * BURST)
    assert 1 <= peak <= WORKERS * POOL_SIZE


def test_a_database_that_cannot_serve_is_a_503(
    deploy: Callable[..., AbstractContextManager[Server]],
) -> None:
    # A URL to a database that does not exist (as after DROP DATABASE): PostgreSQL refuses every
    # connection, the pool gives up after DATABASE_POOL_TIMEOUT.
    missing = urlunsplit(urlsplit(postgres_url())._replace(path="/apisec_no_such_database"))
    with deploy(
        "database_shapes", DATABASE_URL=missing, DATABASE_POOL_TIMEOUT="1", **UNTHROTTLED
    ) as down:
        assert down.request("GET", "/api/health/").status == 200  # needs no database
        answers = [
            down.request("POST", "/api/auth/login/", {"username": f"u{n}", "password": "x"})
            for n in range(4)
        ]
        log = down.log_text()
    for response in answers:
        assert response.status == 503, response.body
        assert response.json() == UNAVAILABLE
        assert response.headers["Retry-After"] == "10"
    assert '"event":"database_unavailable"' in log
    assert "Traceback" not in log
