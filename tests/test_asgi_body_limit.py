"""BodyLimitMiddleware in front of Django's real ASGI handler: a body over the limit is answered
413 without Django reading it (announced) or past one byte over it (chunked); everything else is
untouched.

Django's ASGI handler reads the whole body before any middleware runs: without the wrapper, the
50 MB the client announces would all be received (the ASGI integration test waits for them and
times out).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from django.core.asgi import get_asgi_application
from django.test import override_settings

from django_apisec.http.asgi import BodyLimitMiddleware

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 100
TOO_LARGE = {"detail": "Request body too large.", "code": "request_too_large"}


def scope(path: str, headers: list[tuple[bytes, bytes]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("localhost", 80),
        **extra,
    }


def run(app_scope: dict[str, Any], chunks: list[bytes]) -> tuple[int, bytes, int]:
    """Serve one request through the wrapped handler; status, body, chunks the app received."""
    sent: list[dict[str, Any]] = []
    pending = list(chunks)
    taken = 0

    async def receive() -> dict[str, Any]:
        nonlocal taken
        if not pending:
            await asyncio.sleep(3600)  # a client that never sends the rest
        taken += 1
        body = pending.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def serve() -> None:
        await asyncio.wait_for(
            BodyLimitMiddleware(get_asgi_application())(app_scope, receive, send), timeout=20
        )

    asyncio.run(serve())
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, taken


@override_settings(APISEC_MAX_BODY_SIZE=LIMIT)
def test_an_announced_body_over_the_limit_is_refused_unread() -> None:
    status, body, taken = run(
        scope("/api/notes/", [(b"content-length", b"52428800")]), [b"x" * 1000] * 3
    )
    assert (status, json.loads(body)) == (413, TOO_LARGE)
    assert taken == 0


@override_settings(APISEC_MAX_BODY_SIZE=LIMIT)
def test_a_chunked_body_is_cut_one_byte_past_the_limit() -> None:
    chunks = [b"[" * 60, b"[" * 60, b"[" * 60, b"[" * 60]
    status, _, taken = run(scope("/api/notes/", [(b"transfer-encoding", b"chunked")]), chunks)
    # Django got 101 bytes and the end of the body; the rest was never received. (The view then
    # refuses the anonymous request before reading the body; an authenticated one gets the 413
    # of the counting stream, tests/integration/test_hardening_server.py.)
    assert (status, taken) == (401, 2)


@override_settings(APISEC_MAX_BODY_SIZE=LIMIT)
def test_bodies_within_the_limit_and_other_paths_pass_untouched() -> None:
    # Within the limit: the API answers the request itself (here: not logged in).
    status, _, taken = run(scope("/api/notes/", [(b"content-length", b"2")]), [b"{}"])
    assert (status, taken) == (401, 1)
    # Outside the API prefix (and under a root path): not bounded here, read whole.
    outside = scope("/app/admin/", [(b"content-length", b"bogus")], root_path="/app")
    status, _, taken = run(outside, [b"a" * 150, b"b"])
    assert taken == 2
    # A length that is no length is not trusted to refuse: the body is read as it comes.
    for unusable in (b"-1", b"bogus"):
        status, _, taken = run(scope("/api/notes/", [(b"content-length", unusable)]), [b"{}"])
        assert taken == 1


def test_non_http_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(app_scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(app_scope["type"])
        message = await receive()
        seen.append(message["type"])

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:  # pragma: no cover - never called
        raise AssertionError(message)

    asyncio.run(BodyLimitMiddleware(app)({"type": "lifespan"}, receive, send))
    assert seen == ["lifespan", "lifespan.startup"]


def test_a_disconnect_is_passed_on() -> None:
    seen: list[str] = []

    async def app(app_scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append((await receive())["type"])

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:  # pragma: no cover - never called
        raise AssertionError(message)

    asyncio.run(BodyLimitMiddleware(app)(scope("/api/notes/", []), receive, send))
    assert seen == ["http.disconnect"]
