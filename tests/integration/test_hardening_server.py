"""Response hardening against the real testproject: WSGI (gunicorn) and ASGI (gunicorn with uvicorn
workers), production profile, PostgreSQL, Redis. Headers, 413 before the body is read, JSON errors,
hostile input never a 500, and a schemathesis fuzz run with zero server errors.

Skipped with the reason when PostgreSQL or Redis is unreachable, unless
``APISEC_REQUIRE_SERVICES=1`` (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

from tests.hostile_input import HOSTILE_URLS, WRONG_TYPES
from tests.integration.support import UNTHROTTLED, log_in

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

    from django_apisec.testing.server import Server

PASSWORD = "fuzz-user-password-9x"
FUZZ_SEED = 20240611
FUZZ_MAX_EXAMPLES = 25
FUZZ_MAX_EXAMPLES_ASGI = 5
GUNICORN_MAX_REQUEST_LINE = 4094
PROXY = {"X-Forwarded-Proto": "https", "Host": "localhost"}

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(deploy: Callable[..., AbstractContextManager[Server]]) -> Iterator[Server]:
    """The testproject in production in this module's shape, on a fresh PostgreSQL database."""
    with deploy(
        "hardening",
        # The fuzzer reuses values it reads (its own username from /api/me/) in login attempts
        # with random passwords, and locks the accounts it fuzzes with; those are not the one
        # the other tests log in as.
        users=("fuzz", "fuzz-schema", "fuzz-sessions"),
        password=PASSWORD,
        headers=PROXY,
        # Fuzzing sends thousands of requests: throttles must not hide the answers.
        **UNTHROTTLED,
    ) as running:
        yield running


def login(server: Server, username: str = "fuzz") -> str:
    """An access token of ``username`` (plain simplejwt or the JWT session layer: in the body)."""
    return str(log_in(server, username, PASSWORD).json()["access"])


@pytest.fixture
def auth(server: Server) -> dict[str, str]:
    # A fresh session per test: the fuzzer logs out (everywhere) with the tokens it is given.
    return {"Authorization": f"Bearer {login(server)}"}


def test_health_has_the_api_headers(server: Server) -> None:
    response = server.request("GET", "/api/health/")
    assert response.status == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert (
        response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    )
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert len(response.headers["X-Request-ID"]) == 32


def test_request_id_is_echoed(server: Server) -> None:
    response = server.request("GET", "/api/health/", headers={"X-Request-ID": "it-1"})
    assert response.headers["X-Request-ID"] == "it-1"


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
    # 2 MiB of "[" in 64 chunks. The server may answer (the JSON limits refuse the nesting) and
    # close before the whole body is sent: the client then meets a broken pipe while sending,
    # and the answer is still in its socket's receive queue, to be read and judged.
    head = (
        "POST /api/notes/ HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Proto: https\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in auth.items())
        + "\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        try:
            sock.sendall(head.encode())
            for _ in range(64):
                sock.sendall(b"8000\r\n" + b"[" * 32768 + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered early; the answer is read below
        response = http.client.HTTPResponse(sock)
        response.begin()
        response.read()
        response.close()
    assert response.status < 500


def test_unknown_route_is_a_json_404(server: Server) -> None:
    response = server.request("GET", "/api/no-such-route/")
    assert response.status == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_disallowed_host_is_a_json_400(server: Server) -> None:
    response = server.request("GET", "/api/health/", headers={"Host": "evil.example"})
    assert response.status == 400
    assert response.json() == {"detail": "Bad request.", "code": "bad_request"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("[" * 100_000 + "]" * 100_000, "json_too_deep"),
        ('{"title": "nul\\u0000byte"}', "null_character"),
        ('{"title": "t", "body": 1e999}', "number_out_of_range"),
        ('{"title": ', "parse_error"),
    ],
    ids=["json_too_deep", "null_character", "number_out_of_range", "parse_error"],
)
def test_json_limits_on_postgresql(
    server: Server, auth: dict[str, str], body: str, code: str
) -> None:
    response = server.request(
        "POST", "/api/notes/", body, {"Content-Type": "application/json", **auth}
    )
    assert response.status == 400
    assert response.json()["code"] == code


#: The shapes whose HTTP parser is uvicorn's (gunicorn's uvicorn workers, or uvicorn alone).
UVICORN_PARSES = {"asgi", "uvicorn"}


@pytest.mark.parametrize("url", [*HOSTILE_URLS, "/api/notes/?search=a%00b", "/api/me/?x=%00"])
def test_hostile_urls_on_postgresql(
    server: Server, auth: dict[str, str], url: str, shape: str
) -> None:
    response = server.request("GET", url, headers=auth)
    assert response.status < 500, response.body
    if len(url) < GUNICORN_MAX_REQUEST_LINE or shape in UVICORN_PARSES:
        # uvicorn passes long request lines (up to its 64 KiB header limit) on to Django.
        assert response.headers["Content-Type"] == "application/json"
    else:
        # gunicorn refuses the request line itself (414) before Django sees it.
        assert response.status == 414


@pytest.mark.parametrize(("url", "payload"), WRONG_TYPES)
def test_wrong_types_on_postgresql(
    server: Server, auth: dict[str, str], url: str, payload: Any
) -> None:
    response = server.request(
        "POST", url, json.dumps(payload), {"Content-Type": "application/json", **auth}
    )
    assert response.status == 400, response.body


def test_nul_in_every_text_field_on_postgresql(server: Server, auth: dict[str, str]) -> None:
    for url, payload in [
        ("/api/notes/", {"title": "a\x00", "body": "b"}),
        ("/api/projects/", {"name": "\x00"}),
        (f"/api/notes/?search={quote(chr(0))}", None),
    ]:
        method = "GET" if payload is None else "POST"
        response = server.request(
            method,
            url,
            None if payload is None else json.dumps(payload),
            {"Content-Type": "application/json", **auth},
        )
        assert response.status < 500, (url, response.body)


# Operations that end the session they are called with: fuzzed last, with their own token, so
# the rest of the schema is fuzzed while authenticated.
SESSION_ENDING = "^/api/auth/(logout|logout-all|password)/$"


def test_schemathesis_finds_no_server_error(server: Server, tmp_path: Path, shape: str) -> None:
    """Fuzz every operation of the OpenAPI schema, authenticated, with a fixed seed (fewer
    examples under ASGI: the views are the same, the server and the handler are what differ)."""
    examples = FUZZ_MAX_EXAMPLES if shape == "wsgi" else FUZZ_MAX_EXAMPLES_ASGI
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
                str(examples),
                "--seed",
                str(FUZZ_SEED),
                "--header",
                f"Authorization: Bearer {login(server, username)}",
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
