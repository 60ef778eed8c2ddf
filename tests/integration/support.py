"""What the integration tests share besides fixtures: the repository root, the rates that keep
throttles out of a test's way, and a login helper.

Servers come from the one harness, ``django_apisec.testing.server``; the service gate is
``tests.services``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_apisec.testing.server import Response, Server

ROOT = Path(__file__).resolve().parents[2]
#: The server environment of a test whose subject is not the throttles: every rate high enough
#: that no throttle answers first. A test that limits one rate overrides it (``UNTHROTTLED |
#: {...}``).
UNTHROTTLED = {
    "APISEC_RATE_ANON": "100000/min",
    "APISEC_RATE_USER": "100000/min",
    "APISEC_RATE_LOGIN_IP": "100000/min",
    "APISEC_RATE_LOGIN_ACCOUNT": "100000/min",
}


def log_in(server: Server, username: str, password: str) -> Response:
    """POST the credentials to the login endpoint; the 200 response (else the test fails)."""
    response = server.request(
        "POST", "/api/auth/login/", {"username": username, "password": password}
    )
    assert response.status == 200, response.body
    return response
