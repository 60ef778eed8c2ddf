"""The revocation check on Redis (a hot spot bench/request_overhead.py found): one ``EXISTS``
over the store's long-lived client instead of Django's ``RedisCache.get``, same answers."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import override_settings

from django_apisec.jwt import revocation as sessions
from django_apisec.store.backends import RedisStore, store_for
from tests.services import UNREACHABLE_URL, redis_caches, require_redis

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_sessions_cache() -> Iterator[None]:
    """APISEC_CACHE on the machine's Redis (unit tests' database, flushed), key-prefixed."""
    require_redis()
    with override_settings(CACHES=redis_caches(), APISEC_CACHE="abuse"):
        caches["abuse"].clear()
        yield
        caches["abuse"].clear()
        # Close the sockets now: left to the garbage collector, one may be finalized (with a
        # ResourceWarning, an error here) in the middle of a later test.
        store = store_for("abuse")
        assert isinstance(store, RedisStore)
        store.client.connection_pool.disconnect()
        for pool in caches["abuse"]._cache._pools.values():
            pool.disconnect()


@pytest.mark.usefixtures("redis_sessions_cache")
def test_a_marker_written_by_the_cache_is_seen_without_the_cache(monkeypatch):
    sessions.mark_revoked(["family-a"])
    store = store_for("abuse")
    assert isinstance(store, RedisStore)
    sent: list[tuple[object, ...]] = []
    real = store.client.execute_command
    monkeypatch.setattr(
        store.client, "execute_command", lambda *a, **k: sent.append(a) or real(*a, **k)
    )
    monkeypatch.setattr(RedisCache, "get", pytest.fail)  # not Django's per-call client
    assert sessions.is_session_revoked("family-a") is True
    assert sessions.is_session_revoked("family-b") is False
    # One round trip each, on the cache's own (prefixed, versioned) key.
    assert sent == [
        ("EXISTS", caches["abuse"].make_key("apisec:jwt:revoked:family-a")),
        ("EXISTS", caches["abuse"].make_key("apisec:jwt:revoked:family-b")),
    ]


@pytest.mark.usefixtures("redis_sessions_cache")
def test_a_marker_expires_with_its_timeout():
    caches["abuse"].set(sessions.marker_key("family-c"), 1, timeout=1)
    assert sessions.is_session_revoked("family-c") is True
    caches["abuse"].delete(sessions.marker_key("family-c"))
    assert sessions.is_session_revoked("family-c") is False


def test_unreachable_redis_accepts_the_token_and_logs_quickly(caplog):
    with (
        override_settings(CACHES=redis_caches(UNREACHABLE_URL), APISEC_CACHE="abuse"),
        caplog.at_level(logging.ERROR, logger="django_apisec.security"),
    ):
        assert sessions.is_session_revoked("family-d") is False
    assert [r.event for r in caplog.records] == ["revocation_cache_unavailable"]
