"""Concurrent refreshes with one token against a real server: exactly one succeeds.

The server is the testproject in its production profile, once under gunicorn (2 processes x 8
threads, WSGI) and once under gunicorn with uvicorn workers (ASGI), on a fresh PostgreSQL database,
with Redis as the cache (``deploy`` in tests/integration/conftest.py). Threads released together by
a barrier each POST the same refresh cookie; the database's conditional UPDATE must let exactly one
through. The others arrive inside ``APISEC_JWT_REUSE_GRACE_SECONDS`` (on by default since issue 18):
each is told to retry (409 ``refresh_superseded``, no cookie), and the session stays alive for the
winner. Replays outside the window revoke the family (tests/test_jwt_sessions.py).

Skipped with the reason when PostgreSQL or Redis is unreachable, unless
``APISEC_REQUIRE_SERVICES=1`` (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import threading
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING

import pytest

from tests.integration.support import log_in

if TYPE_CHECKING:
    import http.client
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

    from django_apisec.testing.server import Server

pytestmark = pytest.mark.integration

THREADS = 20
ROUNDS = 5
PASSWORD = "concurrency test passphrase 42"
COOKIE = "__Secure-apisec_refresh"


@pytest.fixture(scope="module")
def server(deploy: Callable[..., AbstractContextManager[Server]]) -> Iterator[Server]:
    """The production profile in this module's shape (conftest ``deploy``), Redis emptied."""
    with deploy(
        "jwt_concurrency",
        users=("alice",),
        password=PASSWORD,
        APISEC_RATE_ANON="100000/min",
        APISEC_RATE_USER="100000/min",
    ) as running:
        yield running


def refresh_cookie(headers: http.client.HTTPMessage) -> str:
    jar: SimpleCookie = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return jar[COOKIE].value


def login(server: Server) -> tuple[str, str]:
    response = log_in(server, "alice", PASSWORD)
    return response.json()["access"], refresh_cookie(response.headers)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_refreshes_with_one_token_yield_exactly_one_success(
    server: Server, round_: int
) -> None:
    # Several rounds: one round can miss a broken implementation when the requests happen to
    # arrive one after another; together they reliably overlap.
    access, cookie = login(server)
    status = server.request("GET", "/api/me/", headers={"Authorization": f"Bearer {access}"}).status
    assert status == 200
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def refresh() -> None:
        # Connected before the barrier, so the requests leave together.
        connection = server.connect()
        barrier.wait()
        response = server.request(
            "POST",
            "/api/auth/refresh/",
            headers={"Cookie": f"{COOKIE}={cookie}"},
            connection=connection,
        )
        if response.status == 200:
            successor = refresh_cookie(response.headers)
        else:
            # A loser's answer must not touch the cookie the browser shares with the winner.
            assert not response.headers.get_all("Set-Cookie")
            assert response.json()["code"] == "refresh_superseded"
            successor = None
        with lock:
            results.append((response.status, successor))

    threads = [threading.Thread(target=refresh) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * (THREADS - 1)
    # One successor, and the session it belongs to is alive in every worker process.
    [successor] = [cookie for status, cookie in results if status == 200]
    status = server.request(
        "POST", "/api/auth/refresh/", headers={"Cookie": f"{COOKIE}={successor}"}
    ).status
    assert status == 200
    for _ in range(4):
        status = server.request(
            "GET", "/api/me/", headers={"Authorization": f"Bearer {access}"}
        ).status
        assert status == 200


def test_logout_all_stops_access_tokens_in_every_worker(server: Server) -> None:
    first_access, _ = login(server)
    second_access, second_cookie = login(server)
    status = server.request(
        "POST", "/api/auth/logout-all/", headers={"Authorization": f"Bearer {first_access}"}
    ).status
    assert status == 204
    for _ in range(4):
        for access in (first_access, second_access):
            status = server.request(
                "GET", "/api/me/", headers={"Authorization": f"Bearer {access}"}
            ).status
            assert status == 401
    status = server.request(
        "POST", "/api/auth/refresh/", headers={"Cookie": f"{COOKIE}={second_cookie}"}
    ).status
    assert status == 401
