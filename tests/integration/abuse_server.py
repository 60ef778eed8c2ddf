"""A real deployment for the abuse-control integration tests: gunicorn + PostgreSQL + Redis.

The testproject runs in its production profile (``tests.integration.abuse_settings``: production
plus a hash-counting Argon2 and the throttle classes under test) with several gunicorn workers, on
a PostgreSQL database created fresh for the module, against Redis.

Production redirects http to https, and the spoofing test needs a server that trusts no proxy
(so it cannot be told the scheme by ``X-Forwarded-Proto``). The server therefore speaks TLS
itself: gunicorn with a throwaway self-signed certificate, so ``request.is_secure()`` is true,
nothing redirects, and ``APISEC_TRUSTED_PROXIES`` stays empty. Every client is then 127.0.0.1.

Unreachable services skip the tests with the reason, or fail them with
``APISEC_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

ROOT = Path(__file__).resolve().parents[2]
MANAGE = ROOT / "testproject" / "manage.py"
POSTGRES_URL = os.environ.get("APISEC_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = "redis://127.0.0.1:6379/12"
START_TIMEOUT = 60
from tests.integration.abuse_hashers import COUNTER_KEY  # noqa: E402


def unavailable(message: str) -> NoReturn:
    """Skip with a visible reason, or fail when ``APISEC_REQUIRE_SERVICES=1``."""
    if os.environ.get("APISEC_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} (APISEC_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def require_services(redis_url: str = REDIS_URL) -> None:
    """PostgreSQL and the machine's Redis must answer."""
    import psycopg
    import redis

    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 (any failure is "unreachable", with its reason)
        unavailable(f"PostgreSQL unreachable at {POSTGRES_URL}: {type(exc).__name__}: {exc}")
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        unavailable(f"Redis unreachable at {redis_url}: {type(exc).__name__}: {exc}")


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A new PostgreSQL database (dropped afterwards); yields its URL."""
    import psycopg
    from psycopg import sql

    name = f"apisec_abuse_{secrets.token_hex(5)}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Response:
    """What the server answered."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class AbuseServer:
    """A running gunicorn serving the testproject over TLS."""

    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    redis_url: str

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """One request on a new connection (as separate clients do)."""
        context = ssl._create_unverified_context()  # noqa: S323 (our own throwaway certificate)
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=context, timeout=30
        )
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {"Host": "127.0.0.1", **(headers or {})}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=payload, headers=all_headers)
            answer = connection.getresponse()
            return Response(
                answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
            )
        finally:
            connection.close()

    def manage(self, *args: str) -> str:
        """Run ``manage.py`` with the server's environment."""
        done = subprocess.run(
            [sys.executable, str(MANAGE), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def create_users(self, *names: str, password: str) -> None:
        """Create users through the ORM (in the server's database)."""
        code = (
            "from django.contrib.auth import get_user_model\n"
            f"for name in {list(names)!r}:\n"
            f"    get_user_model().objects.create_user(name, password={password!r})\n"
        )
        self.manage("shell", "-c", code)

    def redis(self) -> Any:
        """A client on the server's Redis database."""
        import redis

        return redis.Redis.from_url(self.redis_url)

    def hashes(self) -> int:
        """Password hashes computed by the server so far."""
        return int(self.redis().get(COUNTER_KEY) or 0)

    def reset(self) -> None:
        """Forget every counter (throttles, lockout, hash count) between scenarios."""
        self.redis().flushdb()


def certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextlib.contextmanager
def abuse_server(
    *, redis_url: str = REDIS_URL, workers: int = 4, **env_overrides: str
) -> Iterator[AbuseServer]:
    """Migrate a fresh database and serve the testproject in production with gunicorn."""
    with fresh_database() as database_url, tempfile.TemporaryDirectory() as tmp:
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("APISEC_", "DJANGO_", "COV_CORE_"))
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "tests.integration.abuse_settings",
                "PYTHONPATH": str(ROOT),
                "APISEC_PROFILE": "production",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
                "APISEC_JWT_SIGNING_KEY": secrets.token_urlsafe(64),
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "APISEC_TEST_HASH_COUNTER_URL": REDIS_URL,
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
                "APISEC_TRUSTED_PROXIES": "",
                **env_overrides,
            }
        )
        port = free_port()
        cert, key = certificate(Path(tmp))
        log = Path(tmp) / "gunicorn.log"
        server = AbuseServer(port, env, None, redis_url)  # type: ignore[arg-type]
        server.manage("migrate", "--noinput", "-v", "0")
        with log.open("wb") as output:
            server.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "testproject.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                    "--certfile",
                    str(cert),
                    "--keyfile",
                    str(key),
                    "--graceful-timeout",
                    "2",
                    "--timeout",
                    "60",
                ],
                env=env,
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_until_up(server, log)
                yield server
            finally:
                server.process.terminate()
                try:
                    server.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.process.kill()


def wait_until_up(server: AbuseServer, log: Path) -> None:
    """Poll a path that no view (and so no throttle) answers until every worker is up."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if server.request("GET", "/no-such-path/").status == 404:
                time.sleep(1.0)  # let the other workers finish booting
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
