"""A real deployment for the abuse-control integration tests: gunicorn + PostgreSQL + Redis.

The testproject runs in its production profile (``tests.integration.abuse_settings``: production
plus a hash-counting Argon2 and the throttle classes under test) with several worker processes
(gunicorn's own for WSGI, uvicorn's under gunicorn for ASGI: the ``shape``), on a PostgreSQL
database created fresh for the deployment, against Redis; the server is started by the one
harness, ``django_apisec.testing.server.serve``.

Production redirects http to https, and the spoofing test needs a server that trusts no proxy
(so it cannot be told the scheme by ``X-Forwarded-Proto``). The server therefore speaks TLS
itself (the harness's throwaway self-signed certificate), so ``request.is_secure()`` is true,
nothing redirects, and ``APISEC_TRUSTED_PROXIES`` stays empty. Every client is then 127.0.0.1.

Unreachable services skip the tests with the reason, or fail them with
``APISEC_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django_apisec.testing.server import (
    django_admin,
    django_env,
    fresh_database,
    production_env,
    redis_url,
    serve,
)
from tests.integration.abuse_hashers import COUNTER_KEY
from tests.integration.support import ROOT
from tests.services import require_services

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from django_apisec.testing.server import Response, Server

SETTINGS = "tests.integration.abuse_settings"
COUNTER_URL = redis_url("abuse")


@dataclass
class AbuseServer:
    """A running deployment: the harness's server plus the Redis its counters live in."""

    server: Server
    redis_url: str

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """One request on a new connection (as separate clients do)."""
        return self.server.request(method, path, body, headers)

    def create_users(self, *names: str, password: str) -> None:
        """Create users through the ORM (in the server's database)."""
        code = (
            "from django.contrib.auth import get_user_model\n"
            f"for name in {list(names)!r}:\n"
            f"    get_user_model().objects.create_user(name, password={password!r})\n"
        )
        django_admin(self.server.env, "shell", "-c", code, root=ROOT)

    def redis(self) -> Any:
        """A client on the server's Redis database."""
        import redis

        return redis.Redis.from_url(self.redis_url)

    def hashes(self) -> int:
        """Password hashes computed by the server so far."""
        import redis

        return int(redis.Redis.from_url(COUNTER_URL).get(COUNTER_KEY) or 0)

    def reset(self) -> None:
        """Forget every counter (throttles, lockout, hash count) between scenarios."""
        import redis

        for url in {self.redis_url, COUNTER_URL}:
            redis.Redis.from_url(url).flushdb()


@contextlib.contextmanager
def abuse_server(
    *,
    redis: str = COUNTER_URL,
    workers: int = 4,
    threads: int = 1,
    shape: str = "wsgi",
    server_args: tuple[str, ...] = (),
    template: str | None = None,
    **env_overrides: str,
) -> Iterator[AbuseServer]:
    """Migrate a fresh database (or copy the migrated ``template``) and serve the testproject in
    production over TLS in ``shape`` (``server_args``: extra options of the server program).

    ``threads`` > 1 runs gthread workers under WSGI, so that many requests per worker run at once.
    """
    postgres = require_services(COUNTER_URL)
    with fresh_database(postgres, prefix="apisec_abuse", template=template) as database_url:
        settings = {
            "APISEC_TEST_HASH_COUNTER_URL": COUNTER_URL,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "APISEC_TRUSTED_PROXIES": "",
            **env_overrides,
        }
        env = production_env(database_url, redis, **settings)
        if template is None:
            migrate = django_env(SETTINGS, env, root=ROOT)
            django_admin(migrate, "migrate", "--noinput", "-v", "0", root=ROOT)
        worker_class = "gthread" if threads > 1 else "sync"
        with serve(
            SETTINGS,
            env=env,
            tls=True,
            workers=workers,
            worker_class=worker_class,
            threads=threads,
            root=ROOT,
            shape=shape,
            gunicorn_args=server_args,
        ) as server:
            yield AbuseServer(server, redis)
