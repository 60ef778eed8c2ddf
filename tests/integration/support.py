"""What the integration tests share besides fixtures: the repository root and a login helper.

Servers come from the one harness, ``django_apisec.testing.server``; the service gate is
``tests.services``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_apisec.testing.server import Response, Server

ROOT = Path(__file__).resolve().parents[2]


def log_in(server: Server, username: str, password: str) -> Response:
    """POST the credentials to the login endpoint; the 200 response (else the test fails)."""
    response = server.request(
        "POST", "/api/auth/login/", {"username": username, "password": password}
    )
    assert response.status == 200, response.body
    return response
