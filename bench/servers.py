"""The benchmarks' deployments, on the project's one server harness.

Every server is started by ``django_apisec.testing.server.serve`` (the same harness the tests
use: port 0 read back, every worker ready, the process group killed at the end). This module only
adds what the benchmarks share: the testproject's production environment behind a proxy on
127.0.0.1, the benchmarks' Redis database, and a way to run code in a configured Django process.

gunicorn speaks plain HTTP here unless a benchmark asks for TLS: its sync workers close the
connection after every response, and a TLS handshake per request would dominate what
bench/request_overhead.py measures. The load generator plays the TLS-terminating proxy
(``X-Forwarded-Proto: https`` from 127.0.0.1, the trusted proxy), the shape of a production
deployment behind a load balancer.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from django_apisec.testing.server import (
    django_admin,
    django_env,
    postgres_url,
    redis_url,
    unreachable,
)
from django_apisec.testing.server import production_env as harness_production_env
from django_apisec.testing.server import serve as harness_serve

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django_apisec.testing.server import Server

ROOT = Path(__file__).resolve().parent.parent
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
REDIS_URL = redis_url("bench")
POSTGRES_URL = postgres_url()


def require_services(redis: str = REDIS_URL) -> None:
    """Exit with the reason when PostgreSQL or the benchmarks' Redis does not answer."""
    problem = unreachable(postgres=POSTGRES_URL, redis=redis)
    if problem is not None:
        sys.exit(problem)


def production_env(database_url: str, redis: str = REDIS_URL, **overrides: str) -> dict[str, str]:
    """The full environment of a testproject process in production behind a proxy on 127.0.0.1.

    ``DJANGO_SETTINGS_MODULE`` may be overridden (default ``testproject.settings``).
    """
    settings = overrides.pop("DJANGO_SETTINGS_MODULE", "testproject.settings")
    variables = harness_production_env(
        database_url, redis, **{"DJANGO_ALLOWED_HOSTS": "127.0.0.1", **overrides}
    )
    return django_env(settings, variables, root=ROOT)


def python(env: dict[str, str], code: str) -> str:
    """Run ``code`` in a configured Django process (``env``'s settings); its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", f"import django\ndjango.setup()\n{code}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(
            f"{env['DJANGO_SETTINGS_MODULE']}: {code[:60]!r}:\n{done.stderr[-3000:]}"
        )
    return done.stdout


def migrate(env: dict[str, str]) -> None:
    """``migrate`` with ``env``."""
    django_admin(env, "migrate", "--noinput", "-v", "0", root=ROOT)


@contextlib.contextmanager
def serve(
    env: dict[str, str],
    workers: int,
    *,
    tls: bool = False,
    worker_class: str | None = None,
    threads: int = 1,
) -> Iterator[Server]:
    """Serve ``env``'s settings with gunicorn (``workers`` workers of ``worker_class``, each with
    ``threads`` threads; by default gthread when ``threads`` > 1, else sync) until the block
    ends."""
    with harness_serve(
        env["DJANGO_SETTINGS_MODULE"],
        env=env,
        workers=workers,
        worker_class=worker_class or ("gthread" if threads > 1 else "sync"),
        threads=threads,
        tls=tls,
        headers={} if tls else PROXY_HEADERS,
        root=ROOT,
    ) as server:
        yield server
