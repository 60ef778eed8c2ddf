"""The machine's PostgreSQL and Redis, as the tests use them: a gate that skips (or, with
``APISEC_REQUIRE_SERVICES=1`` as in CI, fails) when one is unreachable, and the cache settings
of the unit tests that run on a real Redis.

Every Redis database number comes from ``django_apisec.testing.server.REDIS_DATABASES``.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from django_apisec.store import backends
from django_apisec.testing.server import REDIS_DATABASES, postgres_url, redis_url, unreachable
from django_apisec.testing.topologies import missing_binaries

if TYPE_CHECKING:
    from django_apisec.store.backends import RedisStore
    from django_apisec.testing.topologies import Cluster, SentinelGroup


def _unit_purpose() -> str:
    """This process's unit-test Redis database: one per pytest-xdist worker (gw0 has "unit")."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    purpose = "unit" if worker == "gw0" else f"unit_{worker}"
    if purpose not in REDIS_DATABASES:
        message = f"no Redis database for xdist worker {worker}: run with -n 2 or fewer"
        raise pytest.UsageError(message)
    return purpose


# The unit tests' Redis database (flushed by them), and an address where nothing listens.
REDIS_URL = redis_url(_unit_purpose())
UNREACHABLE_URL = "redis://127.0.0.1:1/0"
REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
DJANGO_REDIS_BACKEND = "django_redis.cache.RedisCache"
CLUSTER_BACKEND = "django_apisec.store.cache.RedisClusterCache"
#: django-redis waits forever by default; the store's decisions must not.
DJANGO_REDIS_TIMEOUTS = {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}
LOCMEM_BACKEND = "django.core.cache.backends.locmem.LocMemCache"


def services_required() -> bool:
    """Whether unreachable services fail the run (CI) instead of skipping the tests."""
    return os.environ.get("APISEC_REQUIRE_SERVICES", "") == "1"


def unavailable(message: str) -> NoReturn:
    """Skip with ``message`` as the visible reason, or fail when the services are required."""
    if services_required():
        pytest.fail(f"{message} (APISEC_REQUIRE_SERVICES=1, so this fails instead of skipping)")
    pytest.skip(message)


def require_services(redis: str) -> str:
    """The PostgreSQL server URL, once it and the Redis at ``redis`` answer (else skip/fail)."""
    postgres = postgres_url()
    problem = unreachable(postgres=postgres, redis=redis)
    if problem is not None:
        unavailable(problem)
    return postgres


def require_redis() -> None:
    """The unit tests' Redis must answer (else skip/fail)."""
    problem = unreachable(redis=REDIS_URL)
    if problem is not None:
        unavailable(problem)


def require_redis_binaries() -> None:
    """``redis-server`` and ``redis-cli`` must be on PATH to start a topology (else skip/fail)."""
    problem = missing_binaries()
    if problem is not None:
        unavailable(f"Redis Cluster and Sentinel tests need them: {problem}")


def redis_caches(url: str = REDIS_URL, **options: Any) -> dict[str, Any]:
    """``CACHES`` with a local-memory default and an ``abuse`` alias on the Redis at ``url``."""
    return {
        "default": {"BACKEND": LOCMEM_BACKEND},
        "abuse": {"BACKEND": REDIS_BACKEND, "LOCATION": url, "KEY_PREFIX": "t", **options},
    }


def django_redis_caches(url: str = REDIS_URL) -> dict[str, Any]:
    """``CACHES`` whose ``abuse`` alias is django-redis on one server."""
    options = {"CLIENT_CLASS": "django_redis.client.DefaultClient", **DJANGO_REDIS_TIMEOUTS}
    return {
        "default": {"BACKEND": LOCMEM_BACKEND},
        "abuse": {
            "BACKEND": DJANGO_REDIS_BACKEND,
            "LOCATION": url,
            "KEY_PREFIX": "t",
            "OPTIONS": options,
        },
    }


def sentinel_caches(group: SentinelGroup) -> dict[str, Any]:
    """``CACHES`` whose ``abuse`` alias is django-redis on Redis Sentinel (its SentinelClient)."""
    options = {
        "CLIENT_CLASS": "django_redis.client.SentinelClient",
        "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
        "SENTINELS": group.sentinels,
        "SENTINEL_KWARGS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        **DJANGO_REDIS_TIMEOUTS,
    }
    return {
        "default": {"BACKEND": LOCMEM_BACKEND},
        "abuse": {
            "BACKEND": DJANGO_REDIS_BACKEND,
            "LOCATION": f"redis://{group.service}/0",
            "KEY_PREFIX": "t",
            "OPTIONS": options,
        },
    }


def cluster_caches(cluster: Cluster) -> dict[str, Any]:
    """``CACHES`` whose ``abuse`` alias is django_apisec's RedisClusterCache."""
    return {
        "default": {"BACKEND": LOCMEM_BACKEND},
        "abuse": {"BACKEND": CLUSTER_BACKEND, "LOCATION": cluster.location, "KEY_PREFIX": "t"},
    }


def record_store_commands(
    store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[Any, ...]]:
    """Every command ``store`` sends from now on, as ``(NAME, *args)``, in order: the ones its
    client executes and the scripts it sends once (``django_apisec.store.clients.send_once``,
    which on a cluster goes through the client too: recorded once)."""
    sent: list[tuple[Any, ...]] = []
    real_execute = store.client.execute_command
    real_send_once = backends.send_once
    sending_once = threading.local()

    def execute(*args: Any, **options: Any) -> Any:
        if not getattr(sending_once, "active", False):
            sent.append(args)
        return real_execute(*args, **options)

    def send_once(client: Any, key: str, *command: Any) -> Any:
        sent.append(command)
        sending_once.active = True
        try:
            return real_send_once(client, key, *command)
        finally:
            sending_once.active = False

    monkeypatch.setattr(store.client, "execute_command", execute)
    monkeypatch.setattr(backends, "send_once", send_once)
    return sent
