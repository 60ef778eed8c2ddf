"""Redis clients for the store, built from a Django cache's configuration.

Django's ``RedisCache`` builds a new redis client object for every operation, and its pools per
cache object (so per thread); the store keeps one long-lived client per cache alias and process.
Django has no public API for the parsed ``LOCATION`` and ``OPTIONS`` of a ``RedisCache``: the
private attributes are read here and nowhere else, and ``tests/test_store.py`` fails loudly when a
Django version moves them. Other topologies (Sentinel, Cluster, django-redis) get their own
builder next to this one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.core.cache.backends.redis import RedisCache

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
    """A long-lived ``redis.Redis`` for the cache's primary (the first ``LOCATION``).

    redis-py pools are thread-safe and reconnect after a fork. Timeouts default to
    :data:`REDIS_TIMEOUT` unless ``OPTIONS`` set them.
    """
    servers, options, pool_class, lib = django_redis_settings(backend)
    options.setdefault("socket_connect_timeout", REDIS_TIMEOUT)
    options.setdefault("socket_timeout", REDIS_TIMEOUT)
    pool = pool_class.from_url(servers[0], **options)
    return lib.Redis(connection_pool=pool)
