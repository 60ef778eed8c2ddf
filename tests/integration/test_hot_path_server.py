"""The authenticated hot path on a real gunicorn deployment (issue 16).

* A flood of forged credentials from one client is answered 429 once the client's anonymous rate
  is spent (it used to be 401 without end: 583 forged tokens in 21 s drew no 429), while valid
  requests, from another client or the same one, go on.
* Each worker keeps the users it loaded; a deactivation, a password change or any other change
  of the user is seen by the very next request in every worker.
* One Redis command per authenticated request, counted on the server's Redis.

The test plays the TLS-terminating proxy at 127.0.0.1 (``APISEC_TRUSTED_PROXIES=127.0.0.1/32``),
appending each client's address to ``X-Forwarded-For``.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from django_apisec.testing.server import django_admin
from tests.integration.abuse_server import AbuseServer, abuse_server
from tests.integration.support import ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

LIMIT = 20
PASSWORD = "correct horse battery staple"
# Requests per check: on new connections, spread over the 4 workers.
SPREAD = 32
ATTACKER = "198.51.100.66"
# A well-formed HS256 token signed with a key the server does not have.
FORGED = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwidXNlcl9pZCI6IjEiLCJzaWQi"
    "OiJ4IiwianRpIjoieCIsImV4cCI6OTk5OTk5OTk5OSwiaWF0IjoxfQ.c2lnbmF0dXJlLW9mLWFub3RoZXIta2V5"
)


@pytest.fixture(scope="module")
def server() -> Iterator[AbuseServer]:
    with abuse_server(
        workers=4,
        APISEC_TRUSTED_PROXIES="127.0.0.1/32",
        APISEC_RATE_ANON=f"{LIMIT}/hour",
        APISEC_RATE_USER="100000/min",
        APISEC_RATE_LOGIN_IP="1000/min",
        APISEC_RATE_LOGIN_ACCOUNT="1000/min",
    ) as running:
        yield running


def login(server: AbuseServer, username: str, client: str) -> str:
    response = server.request(
        "POST",
        "/api/auth/login/",
        {"username": username, "password": PASSWORD},
        headers={"X-Forwarded-For": client},
    )
    assert response.status == 200, response.body
    return str(response.json()["access"])


def me(server: AbuseServer, authorization: str, client: str) -> tuple[int, str]:
    response = server.request(
        "GET", "/api/me/", headers={"Authorization": authorization, "X-Forwarded-For": client}
    )
    return response.status, response.json().get("username", response.json().get("code"))


def spread(server: AbuseServer, authorization: str, client: str) -> list[tuple[int, str]]:
    """``SPREAD`` requests on new connections, 8 at a time; ``client`` ending in ``.`` is a
    prefix: each request then comes from its own address (a refused token counts toward its
    client's anonymous rate, and these tests are not about that rate)."""

    def one(n: int) -> tuple[int, str]:
        return me(server, authorization, f"{client}{n}" if client.endswith(".") else client)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(SPREAD)))


def shell(server: AbuseServer, code: str) -> None:
    django_admin(server.server.env, "shell", "-c", code, root=ROOT)


def test_a_flood_of_forged_credentials_is_throttled_per_client(server: AbuseServer) -> None:
    server.reset()
    server.create_users("flood_victim", password=PASSWORD)
    valid = f"Bearer {login(server, 'flood_victim', '198.51.100.10')}"
    forged = [f"Bearer {FORGED}", "Bearer not-a-token", "Api-Key not-a-key"] * LIMIT
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = [status for status, _ in pool.map(lambda a: me(server, a, ATTACKER), forged)]
    assert statuses.count(401) == LIMIT
    assert statuses.count(429) == len(forged) - LIMIT
    # The attacker stays refused; a valid token from another client, or even from the
    # attacker's address, costs nothing and is served.
    assert me(server, f"Bearer {FORGED}", ATTACKER)[0] == 429
    assert spread(server, valid, "198.51.100.11") == [(200, "flood_victim")] * SPREAD
    assert spread(server, valid, ATTACKER) == [(200, "flood_victim")] * SPREAD


def test_every_worker_sees_a_deactivation_at_once(server: AbuseServer) -> None:
    server.reset()
    server.create_users("to_deactivate", password=PASSWORD)
    token = f"Bearer {login(server, 'to_deactivate', '198.51.100.20')}"
    assert spread(server, token, "198.51.100.20") == [(200, "to_deactivate")] * SPREAD
    shell(
        server,
        "from django.contrib.auth import get_user_model\n"
        "user = get_user_model().objects.get(username='to_deactivate')\n"
        "user.is_active = False\n"
        "user.save()\n",
    )
    assert {status for status, _ in spread(server, token, "203.0.113.")} == {401}


def test_every_worker_refuses_old_tokens_after_a_password_change(server: AbuseServer) -> None:
    server.reset()
    server.create_users("changes_password", password=PASSWORD)
    laptop = login(server, "changes_password", "198.51.100.30")
    phone = f"Bearer {login(server, 'changes_password', '198.51.100.31')}"
    assert spread(server, phone, "198.51.100.31") == [(200, "changes_password")] * SPREAD
    response = server.request(
        "POST",
        "/api/auth/password/",
        {"old_password": PASSWORD, "new_password": "a brand new battery staple 42"},
        headers={"Authorization": f"Bearer {laptop}", "X-Forwarded-For": "198.51.100.30"},
    )
    assert response.status == 204, response.body
    assert {status for status, _ in spread(server, phone, "203.0.113.")} == {401}


def test_every_worker_sees_any_change_of_the_user_at_once(server: AbuseServer) -> None:
    # A rename revokes nothing: only the user cache's versions can make it seen at once.
    server.reset()
    server.create_users("before_rename", password=PASSWORD)
    token = f"Bearer {login(server, 'before_rename', '198.51.100.40')}"
    assert spread(server, token, "198.51.100.40") == [(200, "before_rename")] * SPREAD
    shell(
        server,
        "from django.contrib.auth import get_user_model\n"
        "user = get_user_model().objects.get(username='before_rename')\n"
        "user.username = 'after_rename'\n"
        "user.save()\n",
    )
    assert spread(server, token, "198.51.100.40") == [(200, "after_rename")] * SPREAD


def test_an_authenticated_request_is_one_redis_command(server: AbuseServer) -> None:
    server.reset()
    server.create_users("counted", password=PASSWORD)
    token = f"Bearer {login(server, 'counted', '198.51.100.50')}"
    spread(server, token, "198.51.100.50")  # every worker has loaded the user
    database = int(server.redis_url.rsplit("/", 1)[1])
    commands: list[str] = []
    marker = server.redis()
    marker.ping()  # connected (and its SELECT sent) before the monitor starts
    monitor = server.redis().monitor()
    monitor.connection.socket_timeout = None  # type: ignore[union-attr]
    with monitor:

        def listen() -> None:
            for command in monitor.listen():
                if command["command"] == "ECHO end-of-test":
                    return
                # Commands a script runs are reported by MONITOR too, as client "lua".
                if command["db"] == database and command["client_type"] != "lua":
                    commands.append(command["command"].split()[0])

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        time.sleep(0.5)
        for _ in range(SPREAD):
            assert me(server, token, "198.51.100.50")[0] == 200
        marker.echo("end-of-test")
        listener.join(timeout=30)
    assert commands == ["EVALSHA"] * SPREAD
