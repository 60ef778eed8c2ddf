"""The two kinds of store behind ``APISEC_CACHE``: Redis, and any other Django cache.

A :class:`RedisStore` (Django's ``RedisCache``, django-redis, Sentinel, Cluster: see
:mod:`django_apisec.store.clients`) runs every operation on one long-lived redis client: Lua
scripts by ``EVALSHA``, existence checks by ``EXISTS``, single-key commands, all on the cache's
own keys (its ``KEY_PREFIX``, ``VERSION`` and ``KEY_FUNCTION``). A :class:`CacheStore` runs the
same operations through Django's cache API on any other cache with an atomic ``incr`` (memcached,
``LocMemCache`` in development).

Every command names one key, and a script's keys must share one Redis Cluster hash slot (one
``{hash tag}``, see :func:`~django_apisec.abuse.limiter.limiter_key`): nothing here sends a
multi-slot command or ``KEYS``. Values are ints (Redis integers, so ``INCR``, scripts and Django's
``RedisCache`` read them alike) or JSON-serializable data.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from typing import TYPE_CHECKING, Any, Protocol

from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver

from django_apisec.conf import apisec_settings
from django_apisec.store.clients import client_for, send_once

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from django.core.cache.backends.base import BaseCache

try:
    from redis.exceptions import NoScriptError
except ImportError:  # pragma: no cover (redis-py is only needed with a Redis cache)

    class NoScriptError(Exception):  # type: ignore[no-redef]
        """Stands in when redis-py is not installed (a RedisStore is then never built)."""


class Script:
    """An atomic operation: a Lua script for Redis, the same algorithm on Django's cache API.

    ``lua`` runs by ``EVALSHA`` with ``KEYS`` and ``ARGV``; its keys must share one hash slot.
    ``fallback(cache, keys, args)`` computes the same result on any other Django cache; it sees
    the keys unprefixed, as the cache API expects them.
    """

    __slots__ = ("fallback", "lua", "sha")

    def __init__(
        self, lua: str, fallback: Callable[[BaseCache, Sequence[str], Sequence[Any]], Any]
    ) -> None:
        self.lua = lua
        self.fallback = fallback
        self.sha = hashlib.sha1(lua.encode()).hexdigest()  # noqa: S324 (Redis names scripts by SHA-1)


def _count_in_cache(cache: BaseCache, keys: Sequence[str], args: Sequence[Any]) -> int:
    cache.add(keys[0], 0, timeout=args[0])
    try:
        return int(cache.incr(keys[0]))
    except ValueError:  # expired between add and incr
        cache.add(keys[0], 1, timeout=args[0])
        return 1


#: ``INCR`` a key, giving it a TTL (ARGV[1], s) when this created it. Returns the new count.
COUNT = Script(
    """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
""",
    _count_in_cache,
)


class Store(Protocol):
    """What the limiter, the lockout and the revocation markers may ask of the store."""

    def run(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """Run ``script`` atomically on ``keys`` (one hash slot) with ``args``."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a value."""

    def get(self, key: str) -> Any:
        """The value of ``key``, or ``None``."""

    def set(self, key: str, value: Any, timeout: float) -> None:
        """Store ``value`` under ``key`` for ``timeout`` seconds."""

    def incr(self, key: str, timeout: float) -> int:
        """Add one to ``key`` (created at 0 with a TTL of ``timeout`` seconds) and return it."""

    def touch(self, key: str, timeout: float) -> None:
        """Let ``key`` expire ``timeout`` seconds from now."""

    def delete(self, key: str) -> None:
        """Remove ``key``."""

    def mark(self, keys: Iterable[str], timeout: float) -> None:
        """Set each key to ``1`` for ``timeout`` seconds (one single-key write per key)."""


def _milliseconds(timeout: float) -> int:
    return max(1, math.ceil(timeout * 1000))


class RedisStore:
    """Every operation on one long-lived redis client, on the cache's own keys."""

    def __init__(self, backend: BaseCache, client: Any) -> None:
        self.backend = backend
        self.client = client

    def key(self, key: str) -> str:
        """The cache's full key: its key function with ``KEY_PREFIX`` and ``VERSION``."""
        # Our keys are short and ASCII: the cache's memcached-style validation is not needed.
        return self.backend.make_key(key)

    def run(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """``EVALSHA`` (one round trip); after ``SCRIPT FLUSH`` or a restart, loaded once more.

        Never sent twice (:func:`~django_apisec.store.clients.send_once`): a script that timed out
        may have counted.
        """
        full_keys = [self.key(key) for key in keys]
        command = ("EVALSHA", script.sha, len(keys), *full_keys, *args)
        try:
            return send_once(self.client, full_keys[0], *command)
        except NoScriptError:
            self.client.execute_command("SCRIPT", "LOAD", script.lua)
            return send_once(self.client, full_keys[0], *command)

    def exists(self, key: str) -> bool:
        """One ``EXISTS`` (sent as is: a cluster client's ``exists()`` pipelines per slot)."""
        return bool(self.client.execute_command("EXISTS", self.key(key)))

    def get(self, key: str) -> Any:
        """One ``GET``: an int, JSON data, or ``None``."""
        raw = self.client.get(self.key(key))
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            return json.loads(raw)

    def set(self, key: str, value: Any, timeout: float) -> None:
        """One ``SET ... PX``: an int raw (as Django's ``RedisCache`` does), anything else JSON."""
        raw = value if type(value) is int else json.dumps(value)
        self.client.set(self.key(key), raw, px=_milliseconds(timeout))

    def incr(self, key: str, timeout: float) -> int:
        """One ``EVALSHA`` of :data:`COUNT`."""
        return int(self.run(COUNT, [key], [max(1, math.ceil(timeout))]))

    def touch(self, key: str, timeout: float) -> None:
        """One ``PEXPIRE``."""
        self.client.pexpire(self.key(key), _milliseconds(timeout))

    def delete(self, key: str) -> None:
        """One ``DEL`` of one key (sent as is, like ``EXISTS``)."""
        self.client.execute_command("DEL", self.key(key))

    def mark(self, keys: Iterable[str], timeout: float) -> None:
        """One ``SET ... PX`` per key, pipelined: one round trip, no multi-key (``MSET``) write."""
        pipeline = self.client.pipeline(transaction=False)
        for key in keys:
            pipeline.set(self.key(key), 1, px=_milliseconds(timeout))
        pipeline.execute()


class CacheStore:
    """Every operation through Django's cache API, on any cache with an atomic ``incr``."""

    def __init__(self, alias: str) -> None:
        self.alias = alias

    @property
    def cache(self) -> BaseCache:
        """The cache (Django's handler keeps one per thread)."""
        return caches[self.alias]

    def run(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """The script's fallback on this cache."""
        return script.fallback(self.cache, keys, args)

    def exists(self, key: str) -> bool:
        """One ``get``."""
        return self.cache.get(key) is not None

    def get(self, key: str) -> Any:
        """One ``get``."""
        return self.cache.get(key)

    def set(self, key: str, value: Any, timeout: float) -> None:
        """One ``set``."""
        self.cache.set(key, value, timeout=timeout)

    def incr(self, key: str, timeout: float) -> int:
        """``add`` + ``incr``."""
        return int(self.run(COUNT, [key], [timeout]))

    def touch(self, key: str, timeout: float) -> None:
        """One ``touch``."""
        self.cache.touch(key, timeout)

    def delete(self, key: str) -> None:
        """One ``delete``."""
        self.cache.delete(key)

    def mark(self, keys: Iterable[str], timeout: float) -> None:
        """One ``set_many`` (these caches have no hash slots), when there are keys."""
        markers = dict.fromkeys(keys, 1)
        if markers:
            self.cache.set_many(markers, timeout=timeout)


@functools.cache
def store_for(alias: str) -> RedisStore | CacheStore:
    """The store for a cache alias: built once per process, forgotten when CACHES changes."""
    backend = caches.create_connection(alias)
    client = client_for(backend)
    if client is not None:
        return RedisStore(backend, client)
    return CacheStore(alias)


def current_store() -> RedisStore | CacheStore:
    """The store of ``APISEC_CACHE`` (read now)."""
    return store_for(apisec_settings.CACHE)


@receiver(setting_changed)
def clear_stores(*, setting: str, **kwargs: Any) -> None:
    """Forget the stores (and their redis clients) when the cache configuration changes."""
    if setting in {"CACHES", "APISEC_CACHE"}:
        store_for.cache_clear()
