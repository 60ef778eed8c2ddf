"""Redis stops mid-test: the configured policy (closed) holds, no 500, and service recovers.

The machine's Redis (6379) is never touched: this test starts its own redis-server on a free port
and stops and restarts it. DRF's throttles and django-ratelimit answer 500 in the same situation.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from typing import TYPE_CHECKING

import pytest

from tests.integration.abuse_server import AbuseServer, abuse_server
from tests.services import unavailable

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration


def free_port() -> int:
    """A port nothing listens on now (a leftover Redis of an interrupted run may hold another)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PORT = free_port()
OWN_REDIS_URL = f"redis://127.0.0.1:{PORT}/0"


def port_open() -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", PORT)) == 0


def start_redis() -> None:
    subprocess.run(
        [
            "redis-server",
            "--port",
            str(PORT),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
        ],
        check=True,
        capture_output=True,
    )
    deadline = time.monotonic() + 10
    while not port_open():
        assert time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.05)


def stop_redis() -> None:
    subprocess.run(
        ["redis-cli", "-p", str(PORT), "shutdown", "nosave"], capture_output=True, check=False
    )
    deadline = time.monotonic() + 10
    while port_open():
        assert time.monotonic() < deadline, "redis-server did not stop"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def server(shape: str, template_database: str) -> Iterator[AbuseServer]:
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        unavailable("redis-server/redis-cli not installed: cannot stop a Redis of our own")
    if port_open():
        unavailable(f"port {PORT} is taken: cannot start a Redis of our own there")
    start_redis()
    try:
        with abuse_server(
            shape=shape,
            template=template_database,
            redis=OWN_REDIS_URL,
            workers=2,
            APISEC_RATE_ANON="1000/min",
        ) as running:
            yield running
    finally:
        stop_redis()


def test_redis_outage_fails_closed_without_500_and_recovers(server: AbuseServer) -> None:
    assert [server.request("GET", "/api/health/").status for _ in range(3)] == [200] * 3

    stop_redis()
    down = [server.request("GET", "/api/health/") for _ in range(6)]
    login = server.request("POST", "/api/auth/login/", {"username": "a", "password": "b"})
    for response in [*down, login]:
        assert response.status == 503
        assert response.json() == {
            "detail": "Service temporarily unavailable, try again later.",
            "code": "service_unavailable",
        }
        assert response.headers["retry-after"] == "10"

    start_redis()
    deadline = time.monotonic() + 15
    statuses: list[int] = []
    while time.monotonic() < deadline:
        statuses.append(server.request("GET", "/api/health/").status)
        if statuses[-3:] == [200, 200, 200]:
            break
        time.sleep(0.2)
    assert statuses[-3:] == [200, 200, 200]
    assert all(status in (200, 503) for status in statuses)
