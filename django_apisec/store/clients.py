"""Redis clients for the store, built from a Django cache's configuration.

The store keeps one long-lived redis client per cache alias and process, whatever the topology:

* Django's ``RedisCache`` (one server; Valkey too) builds a new client object for every operation
  and pools per cache object (so per thread). Django has no public API for its parsed
  ``LOCATION`` and ``OPTIONS``: the private attributes are read here and nowhere else, and
  ``tests/test_store.py`` fails loudly when a Django version moves them.
* django-redis's ``RedisCache`` (one server, or Redis Sentinel through its ``SentinelClient``,
  which is redis-py's ``SentinelConnectionPool``, the pool of ``Sentinel.master_for``) hands out
  its primary's client through its public ``client.get_client(write=True)``.
* :class:`~django_apisec.store.cache.RedisClusterCache` (Redis Cluster) owns a redis-py
  ``RedisCluster``.

Any other cache has no redis client: the store then goes through Django's cache API.

Whatever the client, a script runs through :func:`send_once`: never sent a second time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.core.cache.backends.base import BaseCache

try:
    from redis.cluster import RedisCluster
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError:  # pragma: no cover (redis-py is only needed with a Redis cache)
    RedisCluster = RedisConnectionError = RedisTimeoutError = None  # type: ignore[assignment,misc]

#: Seconds our redis client waits for a connection or an answer: a decision must not hang a
#: worker when Redis is unreachable (Django's RedisCache waits forever by default).
REDIS_TIMEOUT = 0.5


def django_redis_settings(backend: RedisCache) -> tuple[list[str], dict[str, Any], Any, Any]:
    """``(server URLs, pool options, pool class, redis module)`` of a Django ``RedisCache``.

    The options are the parsed ``OPTIONS`` (``parser_class`` resolved, ``pool_class`` removed).
    Raises ``ImproperlyConfigured`` naming the Django version if its internals moved.
    """
    try:
        client: Any = backend._cache  # RedisCacheClient, built from LOCATION and OPTIONS
        servers: list[str] = list(backend._servers)  # type: ignore[attr-defined]
        found = (servers, dict(client._pool_options), client._pool_class, client._lib)
    except AttributeError as exc:
        raise ImproperlyConfigured(
            f"django_apisec cannot read the Redis configuration of Django "
            f"{django.get_version()}'s RedisCache ({exc}); pin a supported Django version."
        ) from exc
    return found


def redis_client(backend: RedisCache) -> Any:
    """A long-lived ``redis.Redis`` for a Django ``RedisCache``'s primary (the first LOCATION).

    redis-py pools are thread-safe and reconnect after a fork. Timeouts default to
    :data:`REDIS_TIMEOUT` unless ``OPTIONS`` set them.
    """
    servers, options, pool_class, lib = django_redis_settings(backend)
    options.setdefault("socket_connect_timeout", REDIS_TIMEOUT)
    options.setdefault("socket_timeout", REDIS_TIMEOUT)
    pool = pool_class.from_url(servers[0], **options)
    return lib.Redis(connection_pool=pool)


def is_django_redis(backend: object) -> bool:
    """Whether ``backend`` is django-redis's ``RedisCache`` (without importing django-redis)."""
    return any(
        f"{cls.__module__}.{cls.__qualname__}" == "django_redis.cache.RedisCache"
        for cls in type(backend).__mro__
    )


def django_redis_client(backend: Any) -> Any:
    """The primary's ``redis.Redis`` of a django-redis cache (its public ``get_client``).

    django-redis keeps it for the life of the cache object; the store keeps that object for the
    process. A ``ShardClient`` spreads keys over servers by its own hash, so a script's keys would
    not meet: it is refused (``apisec.E416`` reports it before a request does).
    """
    from django_redis.client import ShardClient  # noqa: PLC0415 - optional dependency

    client = backend.client
    if isinstance(client, ShardClient):
        raise ImproperlyConfigured(
            "django_apisec cannot keep its state in a django-redis cache with ShardClient; use "
            "DefaultClient or SentinelClient (apisec.E416)."
        )
    return client.get_client(write=True)


def client_for(backend: BaseCache) -> Any:
    """The long-lived redis client of a Redis cache ``backend``, or ``None`` for other caches."""
    from django_apisec.store.cache import RedisClusterCache  # noqa: PLC0415 - imports this module

    if isinstance(backend, RedisClusterCache):
        return backend.client
    if isinstance(backend, RedisCache):
        return redis_client(backend)
    if is_django_redis(backend):
        return django_redis_client(backend)
    return None


def send_once(client: Any, key: str, *command: Any) -> Any:
    """Send ``command`` (whose first key is ``key``) once: no retry after it may have been sent.

    A counting script that timed out may still have run on the server: sending it again would
    count one request twice (a legitimate request refused, a lockout one guess early). redis-py
    retries a command after a timeout or a broken connection when told to (``retry``,
    ``retry_on_timeout`` in a cache's ``OPTIONS``), and ``RedisCluster`` always does, up to its
    ``retry`` count (10 in redis-py 8), after refreshing its view of the cluster. The failure is
    raised instead, for the store's failure policy; the next command finds the new topology.

    A cluster command is sent to the node holding ``key``'s slot: ``RedisCluster`` then follows
    ``MOVED``/``ASK`` redirections but never retries. Any other client sends it on one pooled
    connection, as redis-py does with no retries; connecting (before anything is sent) still
    follows the connection's own retry policy.
    """
    if isinstance(client, RedisCluster):
        node = client.get_node_from_key(key)  # type: ignore[no-untyped-call]
        return client.execute_command(*command, target_nodes=node)  # type: ignore[no-untyped-call]
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        connection.send_command(*command)
        return client.parse_response(connection, command[0])
    except (RedisConnectionError, RedisTimeoutError):
        connection.disconnect()  # its answer may still come: the connection cannot be reused
        raise
    finally:
        pool.release(connection)
