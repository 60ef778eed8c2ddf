"""A server that believes X-Forwarded-For from its loopback peer: forged addresses stay held.

uvicorn's proxy headers are on by default and trust a loopback peer (``forwarded_allow_ips`` is
``127.0.0.1``): it replaces the client address with the ``X-Forwarded-For`` hop before Django
sees it. With the testproject trusting no proxy (``APISEC_TRUSTED_PROXIES`` empty), 30 of 30
logins with a forged ``X-Forwarded-For`` escaped a 10/hour per-IP limit under ASGI, while WSGI
(gunicorn never rewrites ``REMOTE_ADDR``) held them to 10. Here the server is told to trust the
loopback (``--forwarded-allow-ips 127.0.0.1``, what uvicorn does by default) in both shapes, and
the attacker, at 127.0.0.1, forges a fresh address for every attempt: ``client_ip()`` sees that
the server rewrote the address past a proxy it does not trust, and counts the request as
``unknown``. The limit holds exactly, and only 10 password checks run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.integration.abuse_server import AbuseServer, abuse_server
from tests.integration.support import UNTHROTTLED

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

LIMIT = 10
ATTEMPTS = 30


@pytest.fixture(scope="module")
def server(shape: str, template_database: str) -> Iterator[AbuseServer]:
    with abuse_server(
        shape=shape,
        template=template_database,
        workers=2,
        server_args=("--forwarded-allow-ips", "127.0.0.1"),
        **(UNTHROTTLED | {"APISEC_RATE_LOGIN_IP": f"{LIMIT}/hour"}),
        APISEC_LOCKOUT_THRESHOLD="1000",
    ) as running:
        yield running


def test_forged_forwarded_for_logins_are_held_to_the_per_ip_limit(
    server: AbuseServer, shape: str
) -> None:
    server.reset()
    statuses = [
        server.request(
            "POST",
            "/api/auth/login/",
            {"username": f"victim{n}", "password": "guess"},
            headers={"X-Forwarded-For": f"198.51.100.{n + 1}"},
        ).status
        for n in range(ATTEMPTS)
    ]
    assert statuses == [401] * LIMIT + [429] * (ATTEMPTS - LIMIT)
    assert server.hashes() == LIMIT
    # ASGI: the server rewrote the address, and the log says so; WSGI: the peer was never moved.
    rewritten = '"event":"client_address_rewritten"' in server.server.log_text()
    assert rewritten == (shape == "asgi")
