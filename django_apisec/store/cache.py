"""A Django cache backend on Redis Cluster: :class:`RedisClusterCache`.

Django's ``RedisCache`` talks to one server per operation and sends multi-key commands
(``MSET``, ``DEL k1 k2``) that a cluster refuses when the keys live in different hash slots;
django-redis does not support Redis Cluster. This backend keeps one redis-py ``RedisCluster``
(which follows ``MOVED``/``ASK`` redirections and failovers) and sends only single-key commands,
pipelined per node for the ``*_many`` operations. Values are stored as Django's ``RedisCache``
stores them (ints raw, anything else pickled), so the store and the cache API read them alike::

    CACHES = {
        "default": {
            "BACKEND": "django_apisec.store.cache.RedisClusterCache",
            "LOCATION": ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379"],  # startup nodes
        }
    }

``OPTIONS`` go to ``RedisCluster`` as keyword arguments; ``socket_connect_timeout`` and
``socket_timeout`` default to :data:`~django_apisec.store.clients.REDIS_TIMEOUT`. Redis Cluster
has one database, so ``LOCATION`` carries no database number; ``KEY_PREFIX`` separates projects.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.redis import RedisSerializer
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import cached_property

from django_apisec.store.clients import REDIS_TIMEOUT

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


def startup_nodes(location: str | Iterable[str]) -> list[tuple[str, int]]:
    """``(host, port)`` of each ``redis://host:port`` in ``LOCATION`` (a list or a ``,`` string)."""
    urls = re.split("[;,]", location) if isinstance(location, str) else list(location)
    nodes = []
    for url in (url.strip() for url in urls):
        parts = urlsplit(url)
        if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
            raise ImproperlyConfigured(
                f"RedisClusterCache LOCATION entries are redis://host:port URLs, not {url!r}."
            )
        nodes.append((parts.hostname, parts.port or 6379))
    if not nodes:
        raise ImproperlyConfigured("RedisClusterCache needs at least one node in LOCATION.")
    return nodes


class RedisClusterCache(BaseCache):
    """A Django cache on Redis Cluster (redis-py's ``RedisCluster``), single-key commands only."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(params)
        self._location = server
        self._options: dict[str, Any] = dict(params.get("OPTIONS") or {})
        self._serializer = RedisSerializer()

    @cached_property
    def client(self) -> Any:
        """The long-lived ``RedisCluster`` (thread-safe, fork-aware), built on first use."""
        from redis.cluster import ClusterNode, RedisCluster  # noqa: PLC0415 - optional dependency

        options = dict(self._options)
        first = urlsplit(re.split("[;,]", self._location)[0] if isinstance(self._location, str)
                         else self._location[0])  # fmt: skip
        if first.username:
            options.setdefault("username", unquote(first.username))
        if first.password:
            options.setdefault("password", unquote(first.password))
        if first.scheme == "rediss":
            options.setdefault("ssl", True)
        options.setdefault("socket_connect_timeout", REDIS_TIMEOUT)
        options.setdefault("socket_timeout", REDIS_TIMEOUT)
        nodes = [
            ClusterNode(host, port)  # type: ignore[no-untyped-call]
            for host, port in startup_nodes(self._location)
        ]
        return RedisCluster(startup_nodes=nodes, **options)

    def get_backend_timeout(self, timeout: float | None = DEFAULT_TIMEOUT) -> int | None:
        """Milliseconds to live: ``None`` keeps the key forever, ``0`` deletes it."""
        if timeout == DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        return None if timeout is None else max(0, math.ceil(timeout * 1000))

    def _set(self, pipe: Any, key: str, value: Any, px: int | None, *, nx: bool = False) -> Any:
        if px == 0:
            return pipe.delete(key)
        return pipe.set(key, self._serializer.dumps(value), px=px, nx=nx)

    def add(
        self,
        key: str,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        """``SET NX``: whether the key was added."""
        px = self.get_backend_timeout(timeout)
        key = self.make_and_validate_key(key, version=version)
        if px == 0:
            return False
        return bool(self._set(self.client, key, value, px, nx=True))

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        """``GET``."""
        raw = self.client.get(self.make_and_validate_key(key, version=version))
        return default if raw is None else self._serializer.loads(raw)

    def set(
        self,
        key: str,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        """``SET`` (``DEL`` for a zero timeout)."""
        px = self.get_backend_timeout(timeout)
        self._set(self.client, self.make_and_validate_key(key, version=version), value, px)

    def touch(
        self, key: str, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        """``PEXPIRE`` (``PERSIST`` for no timeout)."""
        px = self.get_backend_timeout(timeout)
        key = self.make_and_validate_key(key, version=version)
        if px is None:
            return bool(self.client.persist(key))
        return bool(self.client.pexpire(key, px))

    def delete(self, key: str, version: int | None = None) -> bool:
        """``DEL`` of one key."""
        return bool(self.client.delete(self.make_and_validate_key(key, version=version)))

    def has_key(self, key: str, version: int | None = None) -> bool:
        """``EXISTS`` of one key."""
        return bool(self.client.exists(self.make_and_validate_key(key, version=version)))

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        """``INCRBY``; ``ValueError`` when the key does not exist (as Django's caches do)."""
        key = self.make_and_validate_key(key, version=version)
        if not self.client.exists(key):
            raise ValueError(f"Key '{key}' not found.")
        return int(self.client.incrby(key, delta))

    def get_many(self, keys: Iterable[str], version: int | None = None) -> dict[str, Any]:
        """One ``GET`` per key, pipelined per node (never a cross-slot ``MGET``)."""
        full = {self.make_and_validate_key(key, version=version): key for key in keys}
        pipe = self.client.pipeline(transaction=False)
        for key in full:
            pipe.get(key)
        found = dict(zip(full.values(), pipe.execute(), strict=True)) if full else {}
        return {key: self._serializer.loads(raw) for key, raw in found.items() if raw is not None}

    def set_many(
        self,
        data: Mapping[str, Any],
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> list[str]:
        """One ``SET`` per key, pipelined per node (never a cross-slot ``MSET``)."""
        px = self.get_backend_timeout(timeout)
        pipe = self.client.pipeline(transaction=False)
        for key, value in data.items():
            self._set(pipe, self.make_and_validate_key(key, version=version), value, px)
        if data:
            pipe.execute()
        return []

    def delete_many(self, keys: Iterable[str], version: int | None = None) -> None:
        """One ``DEL`` per key, pipelined per node."""
        pipe = self.client.pipeline(transaction=False)
        names = [self.make_and_validate_key(key, version=version) for key in keys]
        for name in names:
            pipe.delete(name)
        if names:
            pipe.execute()

    def clear(self) -> None:
        """``FLUSHDB`` on every primary (as Django's ``RedisCache`` flushes its database)."""
        self.client.flushdb(target_nodes=self.client.PRIMARIES)
