"""API keys against the real stack: gunicorn (4 workers), PostgreSQL, Redis, production profile.

Each worker keeps no key state of its own: a revocation is seen by every worker from the next
request, and the per-key limit holds exactly across workers under a concurrent burst.
"""

from __future__ import annotations

import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from django_apisec.testing.server import (
    django_admin,
    django_env,
    fresh_database,
    production_env,
    redis_url,
    serve,
)
from tests.integration.support import ROOT, log_in
from tests.services import require_services

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django_apisec.testing.server import Response, Server

pytestmark = pytest.mark.integration

SETTINGS = "testproject.settings"
WORKERS = 4
LIMIT = 50
BURST = 400
PROXY = {"X-Forwarded-Proto": "https", "Accept": "application/json"}
CREATE_USER = """
import os
from django.contrib.auth import get_user_model
get_user_model().objects.create_user(os.environ["IT_USER"], password=os.environ["IT_PASSWORD"])
"""


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[Server, str]]:
    """The server, and an access token of a fresh user."""
    redis = redis_url("apikeys")
    postgres = require_services(redis)
    import redis as redis_lib

    redis_lib.Redis.from_url(redis).flushdb()
    with fresh_database(postgres, prefix="apisec_keys") as database_url:
        env = production_env(
            database_url,
            redis,
            APISEC_RATE_API_KEY=f"{LIMIT}/hour",
            APISEC_RATE_USER="100000/min",
        )
        manage_env = django_env(SETTINGS, env, root=ROOT)
        django_admin(manage_env, "migrate", "--noinput", "-v", "0", root=ROOT)
        user, password = f"machine_{secrets.token_hex(4)}", secrets.token_urlsafe(24)
        django_admin(
            {**manage_env, "IT_USER": user, "IT_PASSWORD": password},
            "shell",
            "-c",
            CREATE_USER,
            root=ROOT,
        )
        with serve(SETTINGS, env=env, workers=WORKERS, headers=PROXY, root=ROOT) as server:
            token = log_in(server, user, password).json()["access"]
            yield server, token


def new_key(server: Server, token: str, **fields: object) -> dict[str, str]:
    body = {"name": "it", "scopes": ["notes:read"], **fields}
    response = server.request("POST", "/api/keys/", body, token=token)
    assert response.status == 201, response.body
    return response.json()  # type: ignore[no-any-return]


def get_me(server: Server, key: str) -> Response:
    return server.request("GET", "/api/me/", headers={"Authorization": f"Api-Key {key}"})


def test_a_burst_with_one_key_admits_exactly_the_per_key_limit(stack: tuple[Server, str]) -> None:
    server, token = stack
    key = new_key(server, token)["key"]
    with ThreadPoolExecutor(max_workers=32) as pool:
        responses = list(pool.map(lambda _: get_me(server, key), range(BURST)))
    statuses = [r.status for r in responses]
    assert statuses.count(200) == LIMIT
    assert statuses.count(429) == BURST - LIMIT
    limited = next(r for r in responses if r.status == 429)
    assert int(limited.headers["retry-after"]) >= 1
    assert f'"api_key";q={LIMIT};w=3600' in limited.headers["ratelimit-policy"]


def test_a_revoked_key_fails_on_every_worker_at_once(stack: tuple[Server, str]) -> None:
    server, token = stack
    created = new_key(server, token)
    # Warm every worker with the key first.
    assert {get_me(server, created["key"]).status for _ in range(3 * WORKERS)} == {200}
    response = server.request("DELETE", f"/api/keys/{created['id']}/", token=token)
    assert response.status == 204
    after = [get_me(server, created["key"]).status for _ in range(4 * WORKERS)]
    assert after == [401] * (4 * WORKERS)


def test_the_401_bodies_of_every_failure_kind_are_identical(stack: tuple[Server, str]) -> None:
    server, token = stack
    revoked = new_key(server, token)
    server.request("DELETE", f"/api/keys/{revoked['id']}/", token=token)
    bound = new_key(server, token, allowed_ips=["192.0.2.0/24"])
    valid = new_key(server, token)
    keys = {
        "unknown": "ZZZZZZZZ." + "a" * 32,
        "wrong secret": valid["prefix"] + "." + "a" * 32,
        "malformed": "nonsense",
        "revoked": revoked["key"],
        # The client is 127.0.0.1 (the proxy appends nothing): outside 192.0.2.0/24.
        "ip": bound["key"],
    }
    bodies = {}
    for kind, key in keys.items():
        response = get_me(server, key)
        assert response.status == 401, kind
        bodies[kind] = response.body
    assert len(set(bodies.values())) == 1
    assert json.loads(next(iter(bodies.values())))["code"] == "api_key_invalid"


def test_a_key_cannot_reach_the_auth_endpoints(stack: tuple[Server, str]) -> None:
    server, token = stack
    key = new_key(server, token)["key"]
    for path in ("/api/auth/login/", "/api/auth/logout-all/", "/api/keys/"):
        response = server.request("POST", path, {}, headers={"Authorization": f"Api-Key {key}"})
        assert response.status == 403
        assert response.json()["code"] == "api_key_not_allowed"
