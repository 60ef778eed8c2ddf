"""Response hardening against the real testproject: gunicorn, production profile, PostgreSQL,
Redis. Headers, 413 before the body is read, JSON errors, hostile input never a 500, and a
schemathesis fuzz run with zero server errors.

Skipped with the reason when PostgreSQL or Redis is unreachable, unless
``APISEC_REQUIRE_SERVICES=1`` (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

from tests.test_request_limits import HOSTILE_URLS, WRONG_TYPES

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS = ("127.0.0.1", 6379)
REDIS_DB = 11
PASSWORD = "fuzz-user-password-9x"
FUZZ_SEED = 20240611
FUZZ_MAX_EXAMPLES = 25
GUNICORN_MAX_REQUEST_LINE = 4094

pytestmark = pytest.mark.integration


def _unavailable(reason: str) -> None:
    if os.environ.get("APISEC_REQUIRE_SERVICES") == "1":
        pytest.fail(f"APISEC_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_flush() -> None:
    with socket.create_connection(REDIS, timeout=2) as sock:
        sock.sendall(f"SELECT {REDIS_DB}\r\nFLUSHDB\r\n".encode())
        reply = b""
        while reply.count(b"\r\n") < 2:
            reply += sock.recv(64)
        assert reply == b"+OK\r\n+OK\r\n", reply


@dataclass
class Server:
    """A running testproject: ``request()`` talks to it as a client behind the TLS proxy would."""

    port: int
    env: dict[str, str]

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        all_headers = {"X-Forwarded-Proto": "https", "Host": "localhost", **(headers or {})}
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def login(self, username: str = "fuzz") -> str:
        status, _headers, body = self.request(
            "POST",
            "/api/auth/login/",
            json.dumps({"username": username, "password": PASSWORD}),
            {"Content-Type": "application/json"},
        )
        assert status == 200, body
        # Plain simplejwt answers {"access", "refresh"}; the JWT session layer {"access"} and a
        # cookie: the access token is in the body either way.
        return str(json.loads(body)["access"])


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "testproject/manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The testproject under gunicorn in production, on a fresh PostgreSQL database."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is in the test extra
        _unavailable("psycopg is not installed")
    try:
        admin = psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=3, **PG)
    except psycopg.Error as exc:
        _unavailable(f"PostgreSQL is unreachable at {PG['host']}:{PG['port']}: {exc}")
    try:
        _redis_flush()
    except OSError as exc:
        admin.close()
        _unavailable(f"Redis is unreachable at {REDIS[0]}:{REDIS[1]}: {exc}")
    database = f"apisec_hardening_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{database}"')
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("APISEC_", "DJANGO_"))},
        "APISEC_PROFILE": "production",
        "DJANGO_SECRET_KEY": "integration-secret-key-" + uuid.uuid4().hex * 2,
        "APISEC_JWT_SIGNING_KEY": "integration-jwt-key-" + uuid.uuid4().hex * 3,
        "DATABASE_URL": f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{database}",
        "REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}",
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "APISEC_TRUSTED_PROXIES": "127.0.0.1/32",
        # Fuzzing sends thousands of requests: throttles must not hide the answers.
        "APISEC_RATE_ANON": "100000/min",
        "APISEC_RATE_USER": "100000/min",
        "APISEC_RATE_LOGIN_IP": "100000/min",
        "APISEC_RATE_LOGIN_ACCOUNT": "100000/min",
        "PYTHONPATH": str(ROOT),
    }
    process = None
    log_path = tmp_path_factory.mktemp("gunicorn") / "stderr.log"
    try:
        _manage(env, "migrate", "--noinput")
        _manage(
            env,
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            "users = get_user_model().objects; "
            # The fuzzer reuses values it reads (its own username from /api/me/) in login attempts
            # with random passwords, and locks the accounts it fuzzes with; those are not the
            # one the other tests log in as.
            f"users.create_user('fuzz', password='{PASSWORD}'); "
            f"users.create_user('fuzz-schema', password='{PASSWORD}'); "
            f"users.create_user('fuzz-sessions', password='{PASSWORD}')",
        )
        with log_path.open("wb") as log:
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
                    "--forwarded-allow-ips",
                    "127.0.0.1",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        live = Server(port, env)
        deadline = time.monotonic() + 30
        while True:
            try:
                if live.request("GET", "/api/health/")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"gunicorn did not start: {log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield live
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def auth(server: Server) -> dict[str, str]:
    # A fresh session per test: the fuzzer logs out (everywhere) with the tokens it is given.
    return {"Authorization": f"Bearer {server.login()}"}


def test_health_has_the_api_headers(server: Server) -> None:
    status, headers, body = server.request("GET", "/api/health/")
    assert status == 200
    assert json.loads(body) == {"status": "ok"}
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "camera=()" in headers["Permissions-Policy"]
    assert len(headers["X-Request-ID"]) == 32


def test_request_id_is_echoed(server: Server) -> None:
    _status, headers, _body = server.request(
        "GET", "/api/health/", headers={"X-Request-ID": "it-1"}
    )
    assert headers["X-Request-ID"] == "it-1"


def test_oversized_body_is_refused_before_it_is_read(server: Server) -> None:
    # Announce 50 MB and send none of it: a server that read the body would wait for it.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/notes/ HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Proto: https\r\n"
            b"Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n"
        )
        started = time.monotonic()
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
        elapsed = time.monotonic() - started
        response.close()
    assert response.status == 413, body
    assert json.loads(body) == {"detail": "Request body too large.", "code": "request_too_large"}
    assert elapsed < 5


def test_chunked_body_is_never_a_500(server: Server, auth: dict[str, str]) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            yield b"[" * 32768

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(
            "POST",
            "/api/notes/",
            body=chunks(),
            headers={
                "X-Forwarded-Proto": "https",
                "Host": "localhost",
                "Content-Type": "application/json",
                **auth,
            },
            encode_chunked=True,
        )
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status < 500


def test_unknown_route_is_a_json_404(server: Server) -> None:
    status, headers, body = server.request("GET", "/api/no-such-route/")
    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"detail": "Not found.", "code": "not_found"}


def test_disallowed_host_is_a_json_400(server: Server) -> None:
    status, _headers, body = server.request("GET", "/api/health/", headers={"Host": "evil.example"})
    assert status == 400
    assert json.loads(body) == {"detail": "Bad request.", "code": "bad_request"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("[" * 100_000 + "]" * 100_000, "json_too_deep"),
        ('{"title": "nul\\u0000byte"}', "null_character"),
        ('{"title": "t", "body": 1e999}', "number_out_of_range"),
        ('{"title": ', "parse_error"),
    ],
)
def test_json_limits_on_postgresql(
    server: Server, auth: dict[str, str], body: str, code: str
) -> None:
    status, _headers, reply = server.request(
        "POST", "/api/notes/", body, {"Content-Type": "application/json", **auth}
    )
    assert status == 400
    assert json.loads(reply)["code"] == code


@pytest.mark.parametrize("url", [*HOSTILE_URLS, "/api/notes/?search=a%00b", "/api/me/?x=%00"])
def test_hostile_urls_on_postgresql(server: Server, auth: dict[str, str], url: str) -> None:
    status, headers, body = server.request("GET", url, headers=auth)
    assert status < 500, body
    if len(url) < GUNICORN_MAX_REQUEST_LINE:
        assert headers["Content-Type"] == "application/json"
    else:
        # gunicorn refuses the request line itself (414) before Django sees it.
        assert status == 414


@pytest.mark.parametrize(("url", "payload"), WRONG_TYPES)
def test_wrong_types_on_postgresql(
    server: Server, auth: dict[str, str], url: str, payload: Any
) -> None:
    status, _headers, body = server.request(
        "POST", url, json.dumps(payload), {"Content-Type": "application/json", **auth}
    )
    assert status == 400, body


def test_nul_in_every_text_field_on_postgresql(server: Server, auth: dict[str, str]) -> None:
    for url, payload in [
        ("/api/notes/", {"title": "a\x00", "body": "b"}),
        ("/api/projects/", {"name": "\x00"}),
        (f"/api/notes/?search={quote(chr(0))}", None),
    ]:
        method = "GET" if payload is None else "POST"
        status, _headers, body = server.request(
            method,
            url,
            None if payload is None else json.dumps(payload),
            {"Content-Type": "application/json", **auth},
        )
        assert status < 500, (url, body)


# Operations that end the session they are called with: fuzzed last, with their own token, so
# the rest of the schema is fuzzed while authenticated.
SESSION_ENDING = "^/api/auth/(logout|logout-all|password)/$"


def test_schemathesis_finds_no_server_error(server: Server, tmp_path: Path) -> None:
    """Fuzz every operation of the OpenAPI schema, authenticated, with a fixed seed."""
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    if st is None:  # pragma: no cover - schemathesis is in the test extra
        pytest.fail("schemathesis (st) is not installed")
    base = f"http://127.0.0.1:{server.port}"
    for selection, username in (
        ("--exclude-path-regex", "fuzz-schema"),
        ("--include-path-regex", "fuzz-sessions"),
    ):
        result = subprocess.run(
            [
                st,
                "run",
                f"{base}/api/schema/",
                "--url",
                base,
                selection,
                SESSION_ENDING,
                "--checks",
                "not_a_server_error",
                "--max-examples",
                str(FUZZ_MAX_EXAMPLES),
                "--seed",
                str(FUZZ_SEED),
                "--header",
                f"Authorization: Bearer {server.login(username)}",
                "--header",
                "X-Forwarded-Proto: https",
                "--header",
                "Host: localhost",
                "--workers",
                "2",
                "--no-color",
            ],
            cwd=tmp_path,  # schemathesis writes its .schemathesis/ state into the working directory
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        output = result.stdout + result.stderr
        print(output[output.find("SUMMARY") :])  # noqa: T201 - the counts, in the CI log (pytest -s / -rP)
        assert result.returncode == 0, output[-6000:]
