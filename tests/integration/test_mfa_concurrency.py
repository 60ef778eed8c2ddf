"""Concurrent second factors against a real server: the database and the lockout decide once.

The testproject in its production profile, WSGI (gunicorn, 2 processes x 8 threads) and ASGI
(gunicorn with uvicorn workers), PostgreSQL and Redis: the ``deploy`` fixture of
tests/integration/conftest.py, as in ``test_jwt_concurrency``. Threads released together by a
barrier:

* 40 wrong TOTP codes against a lockout threshold of 5 run at most 5 code checks (the others are
  refused with 429 before any code is looked at);
* one recovery code presented twice at once, with two MFA tokens, logs in once.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import pyotp
import pytest

from tests.integration.support import UNTHROTTLED, log_in

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

    from django_apisec.testing.server import Server

pytestmark = pytest.mark.integration

PASSWORD = "mfa concurrency passphrase 42"
THRESHOLD = 5
GUESSES = 40


@pytest.fixture(scope="module")
def server(deploy: Callable[..., AbstractContextManager[Server]]) -> Iterator[Server]:
    """The production profile with a lockout threshold of 5 in this module's shape."""
    with deploy(
        "mfa_concurrency",
        users=("alice", "bob"),
        password=PASSWORD,
        **UNTHROTTLED,
        APISEC_LOCKOUT_THRESHOLD=str(THRESHOLD),
    ) as running:
        yield running


def enrol(server: Server, username: str) -> list[str]:
    """Turn TOTP on for ``username`` through the API; its recovery codes."""
    access = log_in(server, username, PASSWORD).json()["access"]
    headers = {"Authorization": f"Bearer {access}"}
    secret = server.request("POST", "/api/auth/mfa/totp/", {}, headers=headers).json()["secret"]
    response = server.request(
        "POST", "/api/auth/mfa/totp/confirm/", {"code": pyotp.TOTP(secret).now()}, headers=headers
    )
    assert response.status == 200, response.body
    return list(response.json()["recovery_codes"])


def mfa_token(server: Server, username: str) -> str:
    response = log_in(server, username, PASSWORD)
    return str(response.json()["mfa_token"])


def together(count: int, action: Callable[[Any], int]) -> list[int]:
    """Run ``action(connection)`` in ``count`` threads released at once; their statuses."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []
    lock = threading.Lock()

    def run(connection: Any) -> None:
        barrier.wait()
        status = action(connection)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run, args=(None,)) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_concurrent_wrong_codes_check_at_most_the_threshold(server: Server) -> None:
    enrol(server, "alice")
    token = mfa_token(server, "alice")  # the password step holds one slot

    def guess(_connection: Any) -> int:
        connection = server.connect()
        body = {"mfa_token": token, "code": "000000"}
        return server.request("POST", "/api/auth/mfa/verify/", body, connection=connection).status

    statuses = together(GUESSES, guess)
    checked = statuses.count(401)
    assert 1 <= checked <= THRESHOLD - 1
    assert statuses.count(429) == GUESSES - checked
    # Locked at both steps now, even with the right password.
    time.sleep(0.1)
    response = server.request(
        "POST", "/api/auth/login/", {"username": "alice", "password": PASSWORD}
    )
    assert response.status == 429
    assert int(response.headers["Retry-After"]) > 0


def test_one_recovery_code_used_twice_at_once_logs_in_once(server: Server) -> None:
    codes = enrol(server, "bob")
    # Several rounds: one round can miss a broken implementation when the two requests happen
    # to arrive one after the other.
    for code, spare in zip(codes[:3], codes[3:6], strict=True):
        assert together(2, spender(server, code)) == [200, 401]
        # An unfinished password step keeps its lockout slot and the losing code is a failure:
        # a complete login clears the account's bucket, so rounds never add up to a lock.
        body = {"mfa_token": mfa_token(server, "bob"), "recovery_code": spare}
        assert server.request("POST", "/api/auth/mfa/verify/", body).status == 200


def spender(server: Server, code: str) -> Callable[[Any], int]:
    """An action that verifies ``code`` with its own fresh MFA token (one per call)."""
    tokens = iter([mfa_token(server, "bob"), mfa_token(server, "bob")])
    lock = threading.Lock()

    def use(_connection: Any) -> int:
        with lock:
            token = next(tokens)
        connection = server.connect()
        body = {"mfa_token": token, "recovery_code": code}
        return server.request("POST", "/api/auth/mfa/verify/", body, connection=connection).status

    return use
