"""Redis topology checks of the abuse-control store (``apisec.E416``-``E418``, ``W417``).

The store (:mod:`django_apisec.store`) runs on Django's ``RedisCache``, django-redis (one server
or Sentinel) and :class:`~django_apisec.store.cache.RedisClusterCache`. These checks read the
``CACHES`` entry of each abuse-control alias; nothing here connects to Redis.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

from django_apisec.checks.abuse import abuse_cache_aliases, configured_caches
from django_apisec.checks.registry import deploy_check, emit, error, warning
from django_apisec.store.cache import startup_nodes

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E416 = error(
    "apisec.E416",
    "The cache {alias!r} holding {users} is django-redis with its ShardClient, which spreads keys "
    "over servers by its own hash: a lockout's keys land on different servers and every "
    "decision fails.",
    "Use django-redis's DefaultClient (one server) or SentinelClient (Redis Sentinel), or "
    "django_apisec.store.cache.RedisClusterCache for Redis Cluster (see docs/deployment).",
)
W417 = warning(
    "apisec.W417",
    "The django-redis cache {alias!r} holding {users} sets no {missing} in OPTIONS: while Redis "
    "is unreachable each throttle and lockout decision waits as long as the kernel does, "
    "instead of answering 503 at once.",
    "Set OPTIONS['SOCKET_CONNECT_TIMEOUT'] and OPTIONS['SOCKET_TIMEOUT'] (e.g. 0.5 seconds); "
    "with Sentinel, also OPTIONS['SENTINEL_KWARGS'] = {{'socket_timeout': 0.5, "
    "'socket_connect_timeout': 0.5}}.",
)
E418 = error(
    "apisec.E418",
    "The RedisClusterCache {alias!r} holding {users} has an unusable LOCATION: {reason}",
    "Set LOCATION to the cluster's startup nodes, e.g. ['redis://10.0.0.1:6379', "
    "'redis://10.0.0.2:6379'].",
)

DJANGO_REDIS = "django_redis.cache.RedisCache"
CLUSTER = "django_apisec.store.cache.RedisClusterCache"
SHARD_CLIENTS = frozenset(
    {"django_redis.client.ShardClient", "django_redis.client.sharded.ShardClient"}
)
TIMEOUT_OPTIONS = ("SOCKET_CONNECT_TIMEOUT", "SOCKET_TIMEOUT")


def _django_redis_messages(alias: str, users: str, options: Mapping[str, Any]) -> list[Any]:
    if options.get("CLIENT_CLASS") in SHARD_CLIENTS:
        return [emit(E416, alias=alias, users=users)]
    missing = [name for name in TIMEOUT_OPTIONS if not options.get(name)]
    if missing:
        return [emit(W417, alias=alias, users=users, missing=" or ".join(missing))]
    return []


@deploy_check
def check_store_topology(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E416, W417, E418: the store's Redis topology can hold every decision."""
    messages: list[CheckMessage] = []
    caches = configured_caches()
    for alias, users in abuse_cache_aliases().items():
        config = caches.get(alias)
        if not isinstance(config, Mapping):
            continue  # apisec.E404, or Django's caches.E001
        options = config.get("OPTIONS") or {}
        if not isinstance(options, Mapping):
            continue  # Django's cache refuses it on first use
        if config.get("BACKEND") == DJANGO_REDIS:
            messages += _django_redis_messages(alias, users, options)
        elif config.get("BACKEND") == CLUSTER:
            try:
                startup_nodes(config.get("LOCATION") or [])
            except ImproperlyConfigured as exc:
                messages.append(emit(E418, alias=alias, users=users, reason=str(exc)))
    return messages
