"""A WSGI application that echoes the request as JSON: what tests/test_testing_server.py serves
to test the harness itself without Django, a database or Redis."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answer 200 with the method, path, HTTP headers, body and scheme gunicorn saw."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    echoed = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "scheme": environ["wsgi.url_scheme"],
        "headers": {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        | ({"Content-Type": environ["CONTENT_TYPE"]} if environ.get("CONTENT_TYPE") else {}),
        "body": environ["wsgi.input"].read(length).decode(),
    }
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(echoed).encode()]


async def asgi_application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The same echo as an ASGI application (what uvicorn serves): path, scheme and client."""
    if scope["type"] != "http":
        return  # lifespan: unsupported, as Django's ASGI handler
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    echoed = {
        "path": scope["path"],
        "scheme": scope["scheme"],
        "client": scope["client"][0],
        "body": body.decode(),
    }
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(echoed).encode()})
