"""µs per throttle decision, in-process, against the same Redis: ours vs DRF vs django-ratelimit.

    .venv/bin/python bench/throttle_decision.py [--rounds 9] [--decisions 2000] [--topologies]

Each round makes ``--decisions`` allowed decisions (50 clients, 1000/hour each, so nobody is
denied and DRF's per-client history stays short) with one implementation; rounds alternate
between the implementations so that machine noise hits all of them alike. Prints the median µs
per decision of each and the ratios, next to a bare Redis PING on a long-lived client: the floor
any one-round-trip decision pays on this machine at this moment. Uses (and flushes) Redis
database 11 (``--redis`` to change it).

With ``--topologies``, ours (and PING) also run on Redis Sentinel (django-redis ``SentinelClient``:
one primary, one replica, three sentinels) and on a 3-primary Redis Cluster
(``RedisClusterCache``), started on free loopback ports by ``django_apisec.testing.topologies``,
in the same alternating rounds: the topologies side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import django
from django.conf import settings

if TYPE_CHECKING:
    from collections.abc import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django_apisec.testing.server import redis_url

REDIS_URL = redis_url("bench")
RATE = "1000/hour"
CLIENTS = 50


def topology_caches(sentinel: Any, cluster: Any) -> dict[str, Any]:
    """The ``sentinel`` and ``cluster`` cache aliases (as the testproject configures them)."""
    timeouts = {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}
    return {
        "sentinel": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://{sentinel.service}/0",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.SentinelClient",
                "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
                "SENTINELS": sentinel.sentinels,
                "SENTINEL_KWARGS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
                **timeouts,
            },
        },
        "cluster": {
            "BACKEND": "django_apisec.store.cache.RedisClusterCache",
            "LOCATION": cluster.location,
        },
    }


def configure(redis_url: str, extra_caches: dict[str, Any] | None = None) -> None:
    settings.configure(
        SECRET_KEY="bench-" + "k" * 50,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework",
            "django_apisec",
        ],
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
            },
            **(extra_caches or {}),
        },
        REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {"anon": RATE, "user": RATE}},
        ALLOWED_HOSTS=["*"],
        USE_TZ=True,
    )
    django.setup()


def fresh_requests(count: int) -> list[Any]:
    """``count`` new DRF requests from ``CLIENTS`` addresses, built before the clock starts.

    Real requests are fresh: reusing request objects would let anything a contender stores on
    them (our recorded decisions, django-ratelimit's ``limited``) pile up across the run.
    """
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    factory = APIRequestFactory()
    built = []
    for n in range(count):
        request = Request(factory.get("/", REMOTE_ADDR=f"203.0.113.{n % CLIENTS + 1}"))
        request.user = AnonymousUser()
        built.append(request)
    return built


def on_store(alias: str, run: Callable[[list[Any]], int]) -> Callable[[list[Any]], int]:
    """``run`` with ``APISEC_CACHE = alias``."""
    from django.test import override_settings

    def run_there(requests: list[Any]) -> int:
        with override_settings(APISEC_CACHE=alias):
            return run(requests)

    return run_there


def build_contenders(topologies: bool = False) -> dict[str, Callable[[list[Any]], int]]:
    """Each contender decides on every request of the list; returns how many were allowed."""
    from django_ratelimit.core import is_ratelimited
    from rest_framework import throttling as drf
    from rest_framework.views import APIView

    from django_apisec.abuse import throttling as ours
    from django_apisec.store.backends import store_for

    view = APIView()
    client = store_for("default").client  # type: ignore[union-attr]

    def run_ping(requests: list[Any]) -> int:
        for _ in requests:
            client.ping()
        return len(requests)

    def run_ours(requests: list[Any]) -> int:
        return sum(ours.AnonRateThrottle().allow_request(r, view) for r in requests)

    def run_drf(requests: list[Any]) -> int:
        return sum(drf.AnonRateThrottle().allow_request(r, view) for r in requests)

    def run_ratelimit(requests: list[Any]) -> int:
        return sum(
            not is_ratelimited(r._request, group="bench", key="ip", rate=RATE, increment=True)
            for r in requests
        )

    contenders = {
        "Redis PING (1 round trip: floor)": run_ping,
        "django_apisec AnonRateThrottle": run_ours,
        "DRF AnonRateThrottle": run_drf,
        "django-ratelimit is_ratelimited": run_ratelimit,
    }
    if topologies:
        sentinel_client = store_for("sentinel").client  # type: ignore[union-attr]
        cluster_client = store_for("cluster").client  # type: ignore[union-attr]

        def ping_with(client: Any) -> Callable[[list[Any]], int]:
            def run(requests: list[Any]) -> int:
                for _ in requests:
                    client.ping()
                return len(requests)

            return run

        def cluster_ping(client: Any) -> Callable[[list[Any]], int]:
            node = client.get_default_node()

            def run(requests: list[Any]) -> int:
                for _ in requests:
                    client.ping(target_nodes=node)
                return len(requests)

            return run

        contenders |= {
            "Sentinel: PING (primary)": ping_with(sentinel_client),
            "Sentinel: django_apisec": on_store("sentinel", run_ours),
            "Cluster: PING (one node)": cluster_ping(cluster_client),
            "Cluster: django_apisec": on_store("cluster", run_ours),
        }
    return contenders


def clear_all(topologies: bool) -> None:
    """Empty every cache the contenders count in."""
    from django.core.cache import caches

    for alias in ("default", "sentinel", "cluster") if topologies else ("default",):
        caches[alias].clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--redis", default=REDIS_URL)
    parser.add_argument(
        "--topologies", action="store_true", help="also Redis Sentinel and Redis Cluster"
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        extra = None
        if args.topologies:
            from django_apisec.testing.topologies import redis_cluster, redis_sentinel

            extra = topology_caches(
                stack.enter_context(redis_sentinel()), stack.enter_context(redis_cluster())
            )
        configure(args.redis, extra)
        measure(args, topologies=args.topologies)


def measure(args: argparse.Namespace, *, topologies: bool) -> None:
    """Run the alternating rounds and print the medians."""
    contenders = build_contenders(topologies)
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    # A warm-up round each: connections, the Lua script, imports.
    for run in contenders.values():
        clear_all(topologies)
        run(fresh_requests(CLIENTS))
    per_round = args.decisions
    for _ in range(args.rounds):
        for name, run in contenders.items():
            clear_all(topologies)  # every round starts from empty histories (nobody is denied)
            requests = fresh_requests(per_round)
            started = time.perf_counter()
            allowed = run(requests)
            elapsed = time.perf_counter() - started
            assert allowed == per_round, f"{name} denied {per_round - allowed} decisions"
            samples[name].append(elapsed / per_round * 1e6)
    clear_all(topologies)

    medians = {name: statistics.median(values) for name, values in samples.items()}
    ours_median = medians["django_apisec AnonRateThrottle"]
    print(f"µs per decision (median of {args.rounds} alternating rounds of {per_round}):")
    for name, median in medians.items():
        spread = f"{min(samples[name]):.0f}-{max(samples[name]):.0f}"
        ratio = median / ours_median
        print(f"  {name:34s} {median:8.0f} µs   (range {spread})   {ratio:4.1f}x ours")


if __name__ == "__main__":
    main()
