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
