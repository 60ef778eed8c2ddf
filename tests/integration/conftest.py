"""Fixtures that run the testproject in its production profile against PostgreSQL and Redis.

The services are found through ``APISEC_TEST_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/test``) and ``APISEC_TEST_REDIS_URL`` (default
``redis://127.0.0.1:6379``; the database number comes from
``django_apisec.testing.server.REDIS_DATABASES``). When one is unreachable the tests that need it
are skipped with the address and the error as the reason; with ``APISEC_REQUIRE_SERVICES=1``
(CI) they fail instead.

The server is the real thing, started by the harness (``django_apisec.testing.server.serve``):
gunicorn with several worker processes serving ``testproject.wsgi:application``, on a fresh
PostgreSQL database created for the session and dropped after it. Production redirects http to
https; the tests play the TLS-terminating proxy: 127.0.0.1 is the configured trusted proxy and
every request carries ``X-Forwarded-Proto: https``.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
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
from tests.integration.support import ROOT
from tests.services import require_services

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator

    from django_apisec.testing.server import Server

SETTINGS = "testproject.settings"
WORKERS = 3
PROXY = {"X-Forwarded-Proto": "https", "Accept": "application/json"}


@dataclass(frozen=True)
class Manage:
    """``manage("check", "--deploy")``: Django commands with the production environment."""

    env: dict[str, str]

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run one command; with ``check``, a non-zero exit fails the test."""
        return django_admin(self.env, *args, root=ROOT, check=check)


@pytest.fixture(scope="session")
def stack_env() -> Iterator[dict[str, str]]:
    """The production profile's variables, on a fresh database dropped after the session."""
    redis = redis_url("production_stack")
    postgres = require_services(redis)
    with fresh_database(postgres, prefix="apisec_it") as database_url:
        yield production_env(database_url, redis)


@pytest.fixture(scope="session")
def manage(stack_env: dict[str, str]) -> Manage:
    """Management commands against the production environment."""
    return Manage(django_env(SETTINGS, stack_env, root=ROOT))


@pytest.fixture(scope="session")
def migrated(manage: Manage) -> None:
    """The session's database, migrated."""
    manage("migrate", "--noinput", "-v", "0")


@pytest.fixture(scope="session")
def server(stack_env: dict[str, str], migrated: None) -> Iterator[Server]:
    """gunicorn serving the testproject in production (several workers) until the session ends."""
    with serve(SETTINGS, env=stack_env, workers=WORKERS, headers=PROXY, root=ROOT) as running:
        yield running


@dataclass(frozen=True)
class Account:
    """A user created in the production database, with its password."""

    username: str
    password: str


CREATE_USERS = """
import json, os
from django.contrib.auth import get_user_model
for account in json.loads(os.environ["APISEC_IT_ACCOUNTS"]):
    get_user_model().objects.create_user(account["username"], password=account["password"])
"""


@pytest.fixture(scope="session")
def accounts(manage: Manage, migrated: None) -> tuple[Account, Account]:
    """Two users of the production database, created as an operator would (``manage.py``)."""
    created = tuple(
        Account(f"{name}_{secrets.token_hex(4)}", secrets.token_urlsafe(24))
        for name in ("carol", "dave")
    )
    spec = json.dumps([{"username": a.username, "password": a.password} for a in created])
    Manage({**manage.env, "APISEC_IT_ACCOUNTS": spec})("shell", "-c", CREATE_USERS)
    return created[0], created[1]
