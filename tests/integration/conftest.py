"""Fixtures that run the testproject in its production profile against PostgreSQL and Redis.

The services are found through ``APISEC_TEST_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/test``) and ``APISEC_TEST_REDIS_URL`` (default
``redis://127.0.0.1:6379``; the database number comes from
``django_apisec.testing.server.REDIS_DATABASES``). When one is unreachable the tests that need it
are skipped with the address and the error as the reason; with ``APISEC_REQUIRE_SERVICES=1``
(CI) they fail instead.

The server is the real thing, started by the harness (``django_apisec.testing.server.serve``):
several worker processes serving the testproject, on a fresh PostgreSQL database created for the
session and dropped after it. Production redirects http to https; the tests play the
TLS-terminating proxy: 127.0.0.1 is the configured trusted proxy and every request carries
``X-Forwarded-Proto: https``.

Every server-backed suite runs once per deployment shape (the module-scoped ``shape`` fixture,
:data:`SHAPES`): gunicorn's own workers serving ``testproject.wsgi``, gunicorn with uvicorn
workers serving ``testproject.asgi``, and uvicorn alone (``uvicorn --workers N``) serving
``testproject.asgi``. Pytest groups a module's tests by shape, so each module starts one server
per shape.
"""

from __future__ import annotations

import contextlib
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
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

    from django_apisec.testing.server import Server

SETTINGS = "testproject.settings"
WORKERS = 3
PROXY = {"X-Forwarded-Proto": "https", "Accept": "application/json"}
# As the clients of the cookie endpoints send them: JSON, through the TLS-terminating proxy.
JSON_PROXY = {"X-Forwarded-Proto": "https", "Content-Type": "application/json"}
#: The deployment shapes every server-backed suite runs on (keys of
#: ``django_apisec.testing.server.SHAPES``).
SHAPES = ("wsgi", "asgi", "uvicorn")


@pytest.fixture(scope="module", params=SHAPES)
def shape(request: pytest.FixtureRequest) -> str:
    """The deployment shape of this module's server: ``wsgi``, ``asgi`` or ``uvicorn``."""
    return str(request.param)


@pytest.fixture(scope="session")
def template_database() -> Iterator[str]:
    """A migrated database for the session, copied by the servers' fresh databases (nobody
    connects to it after migrating, so PostgreSQL can copy it)."""
    redis = redis_url("production_stack")
    postgres = require_services(redis)
    with fresh_database(postgres, prefix="apisec_template") as database_url:
        env = django_env(SETTINGS, production_env(database_url, redis), root=ROOT)
        django_admin(env, "migrate", "--noinput", "-v", "0", root=ROOT)
        yield database_url


@pytest.fixture(scope="module")
def deploy(shape: str, template_database: str) -> Callable[..., AbstractContextManager[Server]]:
    """Serve the testproject in production in this module's shape, as a context manager.

    ``deploy(purpose, users=("alice",), password=..., **env)``: the Redis database of
    ``purpose`` (``REDIS_DATABASES``) emptied before and after, a fresh PostgreSQL database (a
    copy of the migrated ``template_database``), ``users`` created with ``password``, ``env``
    over :func:`production_env`; WSGI is gunicorn with 2 processes x 8 threads (gthread), ASGI
    2 uvicorn worker processes. Requests carry :data:`JSON_PROXY` unless ``headers`` is given.
    """

    @contextlib.contextmanager
    def deployment(
        purpose: str,
        *,
        users: tuple[str, ...] = (),
        password: str = "",
        headers: dict[str, str] | None = None,
        **env_overrides: str,
    ) -> Iterator[Server]:
        redis = redis_url(purpose)
        postgres = require_services(redis)
        import redis as redis_client

        client = redis_client.Redis.from_url(redis)
        client.flushdb()
        try:
            with fresh_database(
                postgres, prefix=f"apisec_{shape}", template=template_database
            ) as database_url:
                env = production_env(database_url, redis, **env_overrides)
                manage = django_env(SETTINGS, env, root=ROOT)
                if users:
                    spec = json.dumps([{"username": n, "password": password} for n in users])
                    Manage({**manage, "APISEC_IT_ACCOUNTS": spec})("shell", "-c", CREATE_USERS)
                with serve(
                    SETTINGS,
                    env=env,
                    workers=2,
                    worker_class="gthread",
                    threads=8,
                    headers=JSON_PROXY if headers is None else headers,
                    root=ROOT,
                    shape=shape,
                ) as running:
                    yield running
        finally:
            client.flushdb()
            client.close()

    return deployment


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


@pytest.fixture(scope="module")
def server(stack_env: dict[str, str], migrated: None, shape: str) -> Iterator[Server]:
    """The testproject in production (several workers) in this module's shape."""
    with serve(
        SETTINGS, env=stack_env, workers=WORKERS, headers=PROXY, root=ROOT, shape=shape
    ) as running:
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


@pytest.fixture(scope="module")
def accounts(manage: Manage, migrated: None, shape: str) -> tuple[Account, Account]:
    """Two users of the production database, created as an operator would (``manage.py``):
    new ones for each shape."""
    created = tuple(
        Account(f"{name}_{shape}_{secrets.token_hex(4)}", secrets.token_urlsafe(24))
        for name in ("carol", "dave")
    )
    spec = json.dumps([{"username": a.username, "password": a.password} for a in created])
    Manage({**manage.env, "APISEC_IT_ACCOUNTS": spec})("shell", "-c", CREATE_USERS)
    return created[0], created[1]
