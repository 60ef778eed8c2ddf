"""Concurrent passkey logins against a real server: the database and the lockout decide once.

The testproject in its production profile under gunicorn (2 processes x 8 threads), PostgreSQL and
Redis, as in ``test_mfa_concurrency``. Threads released together by a barrier:

* one passwordless assertion posted 4 times at once logs in once (the challenge is spent by one
  ``DELETE``; the replays are failed logins, counted by the lockout);
* 40 forged assertions (a wrong key for a real passkey id), each with its own challenge, against
  a lockout threshold of 5, run at most 5 checks; the rest are 429 before any signature is
  checked, and the genuine passkey then waits too.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest

from django_apisec.testing.server import (
    django_admin,
    django_env,
    fresh_database,
    production_env,
    redis_url,
    serve,
)
from tests.integration.support import ROOT, UNTHROTTLED, log_in
from tests.services import require_services
from tests.soft_authenticator import SoftAuthenticator

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django_apisec.testing.server import Server

pytestmark = pytest.mark.integration

SETTINGS = "testproject.settings"
PASSWORD = "passkey concurrency passphrase 42"
PROXY = {"X-Forwarded-Proto": "https", "Content-Type": "application/json"}
RP_ID = "example.com"
ORIGIN = "https://example.com"
THRESHOLD = 5
GUESSES = 40
LOGIN = "/api/auth/webauthn/login/"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """gunicorn on the production profile, passkeys on, a lockout threshold of 5."""
    redis = redis_url("passkeys_concurrency")
    postgres = require_services(redis)
    import redis as redis_client

    client = redis_client.Redis.from_url(redis)
    client.flushdb()
    with fresh_database(postgres, prefix="apisec_passkeys") as database_url:
        env = production_env(
            database_url,
            redis,
            APISEC_WEBAUTHN_RP_ID=RP_ID,
            APISEC_WEBAUTHN_ORIGINS=ORIGIN,
            **UNTHROTTLED,
            APISEC_LOCKOUT_THRESHOLD=str(THRESHOLD),
        )
        manage = django_env(SETTINGS, env, root=ROOT)
        django_admin(manage, "migrate", "--noinput", root=ROOT)
        create = (
            "from django.contrib.auth import get_user_model; "
            f"[get_user_model().objects.create_user(n, password='{PASSWORD}') "
            "for n in ('alice', 'bob')]"
        )
        django_admin(manage, "shell", "-c", create, root=ROOT)
        with serve(
            SETTINGS,
            env=env,
            workers=2,
            worker_class="gthread",
            threads=8,
            headers=PROXY,
            root=ROOT,
        ) as running:
            yield running
    client.flushdb()
    client.close()


def register(server: Server, username: str) -> SoftAuthenticator:
    """A passkey for ``username``, registered through the API."""
    access = log_in(server, username, PASSWORD).json()["access"]
    headers = {"Authorization": f"Bearer {access}"}
    options = server.request("POST", "/api/auth/webauthn/register/options/", {}, headers=headers)
    authenticator = SoftAuthenticator(RP_ID, ORIGIN)
    body = {"credential": authenticator.create(options.json()["publicKey"])}
    response = server.request("POST", "/api/auth/webauthn/register/", body, headers=headers)
    assert response.status == 201, response.body
    return authenticator


def options(server: Server) -> dict[str, Any]:
    response = server.request("POST", "/api/auth/webauthn/login/options/", {})
    assert response.status == 200, response.body
    return dict(response.json()["publicKey"])


def together(bodies: list[dict[str, Any]], server: Server) -> list[int]:
    """POST each body to the passwordless login from its own thread, all released at once."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []
    lock = threading.Lock()

    def run(body: dict[str, Any]) -> None:
        connection = server.connect()
        barrier.wait()
        status = server.request("POST", LOGIN, body, connection=connection).status
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_one_assertion_posted_at_once_logs_in_once(server: Server) -> None:
    passkey = register(server, "bob")
    # Several rounds: one round can miss a broken implementation when the requests happen to
    # arrive one after the other.
    for _ in range(5):
        # A counter-less authenticator (counter 0, as most synced passkeys): only the single-use
        # challenge stands between a replay and a session.
        assertion = {"credential": passkey.get(options(server), counter=0)}
        assert together([assertion] * 4, server) == [200, 401, 401, 401]
        # The three replays count toward the lockout (threshold 5): a complete login clears the
        # account's bucket, so rounds never add up to a lock.
        fresh = {"credential": passkey.get(options(server), counter=0)}
        cleared = server.request("POST", LOGIN, fresh)
        assert cleared.status == 200


def test_concurrent_forged_assertions_check_at_most_the_threshold(server: Server) -> None:
    passkey = register(server, "alice")
    forger = SoftAuthenticator(RP_ID, ORIGIN, credential_id=passkey.credential_id)
    bodies = [{"credential": forger.get(options(server))} for _ in range(GUESSES)]
    statuses = together(bodies, server)
    checked = statuses.count(401)
    assert 1 <= checked <= THRESHOLD, statuses
    assert statuses.count(429) == GUESSES - checked
    # Locked: the genuine passkey and the password wait too (one bucket per account).
    genuine = server.request("POST", LOGIN, {"credential": passkey.get(options(server))})
    assert genuine.status == 429
    password = server.request(
        "POST", "/api/auth/login/", {"username": "alice", "password": PASSWORD}
    )
    assert password.status == 429
