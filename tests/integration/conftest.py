"""Fixtures that run the testproject in its production profile against PostgreSQL and Redis.

The services are found through ``APISEC_TEST_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/test``) and ``APISEC_TEST_REDIS_URL`` (default
``redis://127.0.0.1:6379/14``). When one is unreachable the tests that need it are skipped with
the address and the error as the reason, so a laptop without the services still runs the rest of
the suite; with ``APISEC_REQUIRE_SERVICES=1`` (CI) they fail instead, so CI can never pass by
skipping them.

The server is the real thing: gunicorn with several worker processes serving
``testproject.wsgi:application`` on a free port of 127.0.0.1, on a fresh PostgreSQL database
created for the session and dropped after it. Production redirects http to https; the tests play
the TLS-terminating proxy: 127.0.0.1 is the configured trusted proxy and every request carries
``X-Forwarded-Proto: https``.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

ROOT = Path(__file__).resolve().parents[2]
MANAGE = ROOT / "testproject" / "manage.py"

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
CONNECT_TIMEOUT = 3
SERVER_START_TIMEOUT = 90
COMMAND_TIMEOUT = 180
WORKERS = 3


def services_required() -> bool:
    """Whether unreachable services fail the run (CI) instead of skipping the tests."""
    return os.environ.get("APISEC_REQUIRE_SERVICES", "") == "1"


def describe(exc: BaseException) -> str:
    """The first line of an exception, with its type: short enough for a skip reason."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def unavailable(message: str) -> NoReturn:
    """Skip with ``message`` as the visible reason, or fail when the services are required."""
    if services_required():
        pytest.fail(f"{message} (APISEC_REQUIRE_SERVICES=1, so this fails instead of skipping)")
    pytest.skip(message)


def redact(url: str) -> str:
    """``url`` without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def with_database(url: str, name: str) -> str:
    """The PostgreSQL ``url`` pointing at database ``name`` instead."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a reachable PostgreSQL server whose user may create databases."""
    url = os.environ.get("APISEC_TEST_DATABASE_URL", DEFAULT_DATABASE_URL)
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT) as connection:
            connection.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable", with its reason
        unavailable(f"PostgreSQL not reachable at {redact(url)}: {describe(exc)}")
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of a reachable Redis database."""
    url = os.environ.get("APISEC_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        import redis

        client = redis.Redis.from_url(
            url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable", with its reason
        unavailable(f"Redis not reachable at {redact(url)}: {describe(exc)}")
    return url


@pytest.fixture(scope="session")
def database_url(postgres_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this session; dropped afterwards."""
    import psycopg
    from psycopg import sql

    name = f"apisec_it_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(postgres_url, name)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            # FORCE: a worker that outlived terminate() must not keep the database alive.
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def production_env(database_url: str, redis_url: str) -> dict[str, str]:
    """The environment of the testproject's production profile, as a deployment sets it."""
    env = {
        name: value
        for name, value in os.environ.items()
        # pytest-django points DJANGO_SETTINGS_MODULE at the test settings; coverage and
        # APISEC_* variables of the outer run must not leak into the deployment either.
        if name != "DJANGO_SETTINGS_MODULE"
        and not name.startswith(("APISEC_", "COV_CORE_", "DJANGO_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "testproject.settings",
            "PYTHONPATH": str(ROOT),
            "APISEC_PROFILE": "production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "APISEC_JWT_SIGNING_KEY": secrets.token_urlsafe(64),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # The tests are the TLS-terminating proxy in front of gunicorn.
            "APISEC_TRUSTED_PROXIES": "127.0.0.1/32",
        }
    )
    return env


@dataclass
class Manage:
    """Runs ``python testproject/manage.py ...`` in a subprocess with the production env."""

    env: Mapping[str, str]

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run one management command; with ``check``, fail the test on a non-zero exit."""
        result = subprocess.run(
            [sys.executable, str(MANAGE), *args],
            env=dict(self.env),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"manage.py {' '.join(args)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result


@pytest.fixture(scope="session")
def manage(production_env: dict[str, str]) -> Manage:
    """``manage("check", "--deploy")``: management commands against the production env."""
    return Manage(production_env)


@pytest.fixture(scope="session")
def migrated(manage: Manage) -> None:
    """The session's database, migrated."""
    manage("migrate", "--noinput", "-v", "0")


@dataclass
class Response:
    """What the server answered: status, headers (case-insensitive) and the decoded body."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class Server:
    """The running production server, and a stdlib HTTP client for it."""

    host: str
    port: int
    log: Path
    default_headers: dict[str, str] = field(
        default_factory=lambda: {"X-Forwarded-Proto": "https", "Accept": "application/json"}
    )

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        proxied: bool = True,
    ) -> Response:
        """Send one request; ``proxied=False`` leaves out ``X-Forwarded-Proto: https``."""
        sent = dict(self.default_headers) if proxied else {"Accept": "application/json"}
        body = None
        if data is not None:
            body = json.dumps(data).encode()
            sent["Content-Type"] = "application/json"
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            return Response(answer.status, answer.headers, answer.read())
        finally:
            connection.close()

    def login(self, username: str, password: str) -> str:
        """Log in through the API and return the access token."""
        response = self.request(
            "POST", "/api/auth/login/", data={"username": username, "password": password}
        )
        assert response.status == 200, response.body
        token = response.json()["access"]
        assert isinstance(token, str)
        return token


LISTENING = re.compile(r"Listening at: http://[^\s]+:(\d+)")


def _wait_for_port(process: subprocess.Popen[bytes], log: Path, deadline: float) -> int:
    while time.monotonic() < deadline:
        match = LISTENING.search(log.read_text(errors="replace"))
        if match:
            return int(match.group(1))
        if process.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not start listening:\n{log.read_text(errors='replace')}")


def _wait_until_healthy(server: Server, process: subprocess.Popen[bytes], deadline: float) -> None:
    last_error = "no attempt"
    while time.monotonic() < deadline and process.poll() is None:
        try:
            response = server.request("GET", "/api/health/")
        except OSError as exc:
            last_error = repr(exc)
        else:
            if response.status == 200:
                return
            last_error = f"HTTP {response.status}: {response.body[:500]!r}"
        time.sleep(0.2)
    pytest.fail(
        f"the production server never became healthy ({last_error}):\n"
        f"{server.log.read_text(errors='replace')}"
    )


def _gunicorn_command() -> list[str]:
    command = [
        sys.executable, "-m", "gunicorn",
        "--bind", "127.0.0.1:0",
        "--workers", str(WORKERS),
        "--chdir", str(ROOT),
        "--graceful-timeout", "5",
        # gunicorn itself believes X-Forwarded-Proto from 127.0.0.1 by default; trust nobody, so
        # that https is Django's conclusion (SECURE_PROXY_SSL_HEADER, set by harden() because
        # APISEC_TRUSTED_PROXIES is) and the tests exercise that.
        "--forwarded-allow-ips", "",
        "testproject.wsgi:application",
    ]  # fmt: skip
    from gunicorn.config import KNOWN_SETTINGS

    # gunicorn 24+ opens a control socket in ~/.gunicorn shared by every instance on the machine;
    # concurrent test runs must not fight over it.
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        command.insert(3, "--no-control-socket")
    return command


@pytest.fixture(scope="session")
def server(production_env: dict[str, str], migrated: None) -> Iterator[Server]:
    """gunicorn serving the testproject in production (several workers) until the session ends."""
    with tempfile.TemporaryDirectory(prefix="apisec-gunicorn-") as directory:
        log = Path(directory) / "gunicorn.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                _gunicorn_command(),
                env=production_env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            port = _wait_for_port(process, log, deadline)
            running = Server("127.0.0.1", port, log)
            _wait_until_healthy(running, process, deadline)
            yield running
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


@dataclass(frozen=True)
class Account:
    """A user created in the production database, with its password."""

    username: str
    password: str


CREATE_USERS = """
import json, os
from django.contrib.auth import get_user_model
for account in json.loads(os.environ["APISEC_IT_ACCOUNTS"]):
    get_user_model().objects.create_user(account["username"], password=account["password"])
"""


@pytest.fixture(scope="session")
def accounts(manage: Manage, migrated: None) -> tuple[Account, Account]:
    """Two users of the production database, created as an operator would (``manage.py``)."""
    created = tuple(
        Account(f"{name}_{secrets.token_hex(4)}", secrets.token_urlsafe(24))
        for name in ("carol", "dave")
    )
    spec = json.dumps([{"username": a.username, "password": a.password} for a in created])
    Manage({**manage.env, "APISEC_IT_ACCOUNTS": spec})("shell", "-c", CREATE_USERS)
    return created[0], created[1]
