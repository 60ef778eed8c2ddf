"""Concurrent refreshes with one token against a real server: exactly one succeeds.

The server is the testproject in its production profile under gunicorn (several processes and
threads) on a fresh PostgreSQL database, with Redis as the cache. Threads released together by a
barrier each POST the same refresh cookie; the database's conditional UPDATE must let exactly one
through, and the replay by the others must revoke the session in every worker process.

Skipped with the reason when PostgreSQL or Redis is unreachable, unless
``APISEC_REQUIRE_SERVICES=1`` (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MANAGE = str(ROOT / "testproject" / "manage.py")
POSTGRES_URL = os.environ.get("APISEC_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = "redis://127.0.0.1:6379/13"
THREADS = 20
ROUNDS = 5
PASSWORD = "concurrency test passphrase 42"
COOKIE = "__Secure-apisec_refresh"


def unavailable(message: str) -> NoReturn:
    if os.environ.get("APISEC_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} (APISEC_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    try:
        import psycopg
        from psycopg import sql

        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable, with its reason
        unavailable(f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}: {exc}")
    name = f"apisec_jwt_{secrets.token_hex(6)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="module")
def redis_ready() -> Iterator[None]:
    """Redis database 13, empty before and after."""
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.flushdb()
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable, with its reason
        unavailable(f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}: {exc}")
    yield
    client.flushdb()
    client.close()


class Server:
    """A running gunicorn serving the testproject; requests go through the 'proxy' headers."""

    def __init__(self, port: int) -> None:
        self.port = port

    def connect(self) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.connect()
        return connection

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        connection: http.client.HTTPConnection | None = None,
    ) -> tuple[int, dict[str, Any], http.client.HTTPMessage]:
        connection = connection or self.connect()
        try:
            payload = json.dumps(body).encode() if body is not None else b""
            connection.request(
                method,
                path,
                body=payload,
                headers={
                    "Host": "127.0.0.1",
                    "X-Forwarded-Proto": "https",
                    "Content-Type": "application/json",
                    **(headers or {}),
                },
            )
            response = connection.getresponse()
            content = response.read()
            data = json.loads(content) if content else {}
            return response.status, data, response.headers
        finally:
            connection.close()


def refresh_cookie(headers: http.client.HTTPMessage) -> str:
    jar: SimpleCookie = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return jar[COOKIE].value


@pytest.fixture(scope="module")
def server(database_url: str, redis_ready: None) -> Iterator[Server]:
    """gunicorn (2 processes x 8 threads) on the production profile."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("APISEC_", "DJANGO_", "COV_CORE_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "testproject.settings",
            "PYTHONPATH": str(ROOT),
            "APISEC_PROFILE": "production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "APISEC_JWT_SIGNING_KEY": secrets.token_urlsafe(64),
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "APISEC_TRUSTED_PROXIES": "127.0.0.1/32",
            "APISEC_RATE_ANON": "100000/min",
            "APISEC_RATE_USER": "100000/min",
        }
    )
    for command in (
        ["migrate", "--noinput"],
        [
            "shell",
            "-c",
            (
                "from django.contrib.auth import get_user_model; "
                f"get_user_model().objects.create_user('alice', password='{PASSWORD}')"
            ),
        ],
    ):
        done = subprocess.run(
            [sys.executable, MANAGE, *command], env=env, check=False, capture_output=True
        )
        if done.returncode:
            pytest.fail(f"manage.py {command[0]} failed:\n{done.stderr.decode()[-3000:]}")
    port = free_port()
    # A file, not a pipe: a full pipe would block gunicorn's logging.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "testproject.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--forwarded-allow-ips",
            "127.0.0.1",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    running = Server(port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if running.request("GET", "/api/health/")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"gunicorn did not start:\n{log.read().decode()[-3000:]}")
            time.sleep(0.2)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def login(server: Server) -> tuple[str, str]:
    status, body, headers = server.request(
        "POST", "/api/auth/login/", {"username": "alice", "password": PASSWORD}
    )
    assert status == 200, body
    return body["access"], refresh_cookie(headers)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_refreshes_with_one_token_yield_exactly_one_success(
    server: Server, round_: int
) -> None:
    # Several rounds: one round can miss a broken implementation when the requests happen to
    # arrive one after another; together they reliably overlap.
    access, cookie = login(server)
    status, _, _ = server.request("GET", "/api/me/", headers={"Authorization": f"Bearer {access}"})
    assert status == 200
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def refresh() -> None:
        # Connected before the barrier, so the requests leave together.
        connection = server.connect()
        barrier.wait()
        status, _, headers = server.request(
            "POST",
            "/api/auth/refresh/",
            headers={"Cookie": f"{COOKIE}={cookie}"},
            connection=connection,
        )
        successor = refresh_cookie(headers) if status == 200 else None
        with lock:
            results.append((status, successor))

    threads = [threading.Thread(target=refresh) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [401] * (THREADS - 1)
    # The losers' replays revoked the family: the winner's successor and every access token of
    # the session are dead too, in every worker process (the marker is in Redis).
    [successor] = [cookie for status, cookie in results if status == 200]
    status, _, _ = server.request(
        "POST", "/api/auth/refresh/", headers={"Cookie": f"{COOKIE}={successor}"}
    )
    assert status == 401
    for _ in range(4):
        status, _, _ = server.request(
            "GET", "/api/me/", headers={"Authorization": f"Bearer {access}"}
        )
        assert status == 401


def test_logout_all_stops_access_tokens_in_every_worker(server: Server) -> None:
    first_access, _ = login(server)
    second_access, second_cookie = login(server)
    status, _, _ = server.request(
        "POST", "/api/auth/logout-all/", headers={"Authorization": f"Bearer {first_access}"}
    )
    assert status == 204
    for _ in range(4):
        for access in (first_access, second_access):
            status, _, _ = server.request(
                "GET", "/api/me/", headers={"Authorization": f"Bearer {access}"}
            )
            assert status == 401
    status, _, _ = server.request(
        "POST", "/api/auth/refresh/", headers={"Cookie": f"{COOKIE}={second_cookie}"}
    )
    assert status == 401
