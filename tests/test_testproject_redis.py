"""The testproject's Redis contract: REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES, one of them.

Each topology passes the deploy gate as configured from the environment; two at once, none in
production, or Sentinel without its service name refuse to start with the variables named.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.conftest import NOT_OVERRIDDEN, PRODUCTION_ENV, DeployIds, load_testproject_settings

WITHOUT_REDIS = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}
SENTINEL = {"REDIS_SENTINELS": "10.0.0.1:26379, 10.0.0.2:26379", "REDIS_SENTINEL_SERVICE": "main"}
CLUSTER = {"REDIS_CLUSTER_NODES": "10.0.0.1:7000,10.0.0.2:7000"}


def caches_for(env: dict[str, str]) -> dict[str, Any]:
    return load_testproject_settings({**WITHOUT_REDIS, **env})["CACHES"]["default"]


def test_redis_url_selects_djangos_redis_cache() -> None:
    cache = caches_for({"REDIS_URL": "redis://10.0.0.1:6380/0"})
    assert cache == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://10.0.0.1:6380/0",
    }


def test_sentinels_select_django_redis_sentinel_client() -> None:
    cache = caches_for(SENTINEL)
    assert cache["BACKEND"] == "django_redis.cache.RedisCache"
    assert cache["LOCATION"] == "redis://main/0"
    assert cache["OPTIONS"]["CLIENT_CLASS"] == "django_redis.client.SentinelClient"
    assert cache["OPTIONS"]["SENTINELS"] == [("10.0.0.1", 26379), ("10.0.0.2", 26379)]


def test_cluster_nodes_select_redis_cluster_cache() -> None:
    cache = caches_for(CLUSTER)
    assert cache == {
        "BACKEND": "django_apisec.store.cache.RedisClusterCache",
        "LOCATION": ["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"],
    }


@pytest.mark.parametrize("env", [{}, SENTINEL, CLUSTER], ids=["url", "sentinel", "cluster"])
def test_each_topology_passes_the_deploy_gate(deploy_ids: DeployIds, env: dict[str, str]) -> None:
    settings = load_testproject_settings({**(WITHOUT_REDIS if env else PRODUCTION_ENV), **env})
    ids = deploy_ids(**{k: v for k, v in settings.items() if k not in NOT_OVERRIDDEN})
    assert ids - {"apisec.W037"} == set()  # W037 only when the tests themselves run as root


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({**SENTINEL, "REDIS_URL": "redis://x/0"}, "set: REDIS_URL, REDIS_SENTINELS"),
        ({**CLUSTER, **SENTINEL}, "set: REDIS_SENTINELS, REDIS_CLUSTER_NODES"),
        ({}, "REDIS_CLUSTER_NODES in production; set: none"),
        ({"REDIS_SENTINELS": "10.0.0.1:26379"}, "set REDIS_SENTINEL_SERVICE"),
    ],
)
def test_topologies_are_refused_unless_exactly_one(env: dict[str, str], message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        caches_for(env)


def test_development_without_redis_uses_local_memory() -> None:
    cache = load_testproject_settings({"APISEC_PROFILE": "development"})["CACHES"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
