"""RedisClusterCache: Django's cache API on a real Redis Cluster, one key per command."""

from __future__ import annotations

from typing import TYPE_CHECKING
from unittest import mock

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_apisec.store.cache import RedisClusterCache, startup_nodes
from django_apisec.store.clients import REDIS_TIMEOUT
from tests.services import cluster_caches

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django_apisec.testing.topologies import Cluster


@pytest.fixture
def cache(cluster: Cluster) -> Iterator[RedisClusterCache]:
    with override_settings(CACHES=cluster_caches(cluster)):
        backend = caches["abuse"]
        assert isinstance(backend, RedisClusterCache)
        backend.clear()
        yield backend
        backend.clear()
        backend.client.close()


def test_the_cache_api_works_across_hash_slots(cache: RedisClusterCache) -> None:
    # Keys of this size land on all three primaries: a multi-key command would be CROSSSLOT.
    data = {f"key-{n}": {"n": n} for n in range(30)}
    assert cache.set_many(data, timeout=60) == []
    assert cache.get_many([*data, "absent"]) == data
    assert cache.get_many([]) == {}
    cache.delete_many(list(data)[:20])
    cache.delete_many([])
    assert sorted(cache.get_many(data)) == sorted(list(data)[20:])
    cache.set_many({}, timeout=60)


def test_single_key_operations(cache: RedisClusterCache) -> None:
    assert cache.add("a", 1, timeout=60) is True
    assert cache.add("a", 2, timeout=60) is False
    assert cache.add("zero", 1, timeout=0) is False
    assert cache.get("a") == 1
    assert cache.get("missing", "default") == "default"
    assert cache.incr("a", 5) == 6
    with pytest.raises(ValueError, match="not found"):
        cache.incr("missing")
    assert cache.has_key("a")
    assert cache.touch("a", None) is True
    assert cache.client.ttl(cache.make_key("a")) == -1  # persistent
    assert cache.touch("a", 30) is True
    assert 0 < cache.client.pttl(cache.make_key("a")) <= 30_000
    cache.set("b", [1, 2], timeout=None)
    assert cache.get("b") == [1, 2]
    cache.set("b", "gone", timeout=0)  # a zero timeout deletes, as Django's RedisCache does
    assert cache.get("b") is None
    assert cache.delete("a") is True
    assert cache.delete("a") is False
    cache.set("d", 1)  # the default timeout
    assert 0 < cache.client.ttl(cache.make_key("d")) <= 300


def test_location_is_parsed_into_startup_nodes() -> None:
    assert startup_nodes("redis://10.0.0.1:7000,redis://10.0.0.2") == [
        ("10.0.0.1", 7000),
        ("10.0.0.2", 6379),
    ]
    assert startup_nodes(["rediss://node:7001"]) == [("node", 7001)]
    with pytest.raises(ImproperlyConfigured, match="redis://host:port"):
        startup_nodes("10.0.0.1:7000")
    with pytest.raises(ImproperlyConfigured, match="at least one node"):
        startup_nodes([])


def test_client_options_come_from_location_and_options(cluster: Cluster) -> None:
    node = cluster.nodes[0]
    backend = RedisClusterCache(
        f"rediss://user:p%40ss@127.0.0.1:{node.port}",
        {"OPTIONS": {"socket_timeout": 2, "ssl_cert_reqs": "none"}},
    )
    kwargs = cluster_kwargs(backend)
    assert (kwargs["username"], kwargs["password"], kwargs["ssl"]) == ("user", "p@ss", True)
    assert kwargs["socket_timeout"] == 2
    assert kwargs["socket_connect_timeout"] == REDIS_TIMEOUT


def cluster_kwargs(backend: RedisClusterCache) -> dict[str, object]:
    """The keyword arguments ``RedisClusterCache.client`` passes to RedisCluster (not started)."""
    with mock.patch("redis.cluster.RedisCluster") as cluster_class:
        assert backend.client is cluster_class.return_value
    return dict(cluster_class.call_args.kwargs)
