"""apisec.E416, W417, E418: the store's Redis topology, read from CACHES (nothing connects)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.test import override_settings

from django_apisec.checks.store import check_store_topology

if TYPE_CHECKING:
    from tests.conftest import DeployIds

SENTINEL = {
    "CLIENT_CLASS": "django_redis.client.SentinelClient",
    "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
    "SENTINELS": [("10.0.0.1", 26379)],
    "SOCKET_CONNECT_TIMEOUT": 0.5,
    "SOCKET_TIMEOUT": 0.5,
}


def caches(
    backend: str, location: Any = "redis://10.0.0.1:6380/0", **options: Any
) -> dict[str, Any]:
    entry: dict[str, Any] = {"BACKEND": backend, "LOCATION": location}
    if options:
        entry["OPTIONS"] = options
    return {"CACHES": {"default": entry}}


DJANGO_REDIS = "django_redis.cache.RedisCache"
CLUSTER = "django_apisec.store.cache.RedisClusterCache"
STORE_IDS = {"apisec.E416", "apisec.W417", "apisec.E418"}


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (caches("django.core.cache.backends.redis.RedisCache"), set()),
        (caches(DJANGO_REDIS, SOCKET_CONNECT_TIMEOUT=0.5, SOCKET_TIMEOUT=0.5), set()),
        (caches(DJANGO_REDIS, "redis://apisec/0", **SENTINEL), set()),
        (caches(CLUSTER, ["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"]), set()),
        (caches(DJANGO_REDIS), {"apisec.W417"}),
        (caches(DJANGO_REDIS, SOCKET_TIMEOUT=0.5), {"apisec.W417"}),
        (
            caches(DJANGO_REDIS, CLIENT_CLASS="django_redis.client.ShardClient"),
            {"apisec.E416"},
        ),
        (caches(CLUSTER, "10.0.0.1:7000"), {"apisec.E418"}),
        (caches(CLUSTER, None), {"apisec.E418"}),
    ],
)
def test_store_topology_ids(
    deploy_ids: DeployIds, settings: dict[str, Any], expected: set[str]
) -> None:
    assert deploy_ids(**settings) & STORE_IDS == expected


def test_a_missing_abuse_cache_is_left_to_apisec_e404(deploy_ids: DeployIds) -> None:
    assert deploy_ids(APISEC_CACHE="elsewhere") & STORE_IDS == set()


def test_unusable_options_are_left_to_django() -> None:
    # Django's cache fails on first use with its own error; no store id is added to it.
    config = {"default": {"BACKEND": DJANGO_REDIS, "OPTIONS": "not a dict"}}
    with override_settings(CACHES=config):
        assert check_store_topology() == []
