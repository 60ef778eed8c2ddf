"""µs per throttle decision, in-process, against the same Redis: ours vs DRF vs django-ratelimit.

    .venv/bin/python bench/throttle_decision.py [--rounds 9] [--decisions 2000]

Each round makes ``--decisions`` allowed decisions (50 clients, 1000/hour each, so nobody is
denied and DRF's per-client history stays short) with one implementation; rounds alternate
between the implementations so that machine noise hits all of them alike. Prints the median µs
per decision of each and the ratios, next to a bare Redis PING on a long-lived client: the floor
any one-round-trip decision pays on this machine at this moment. Uses (and flushes) Redis
database 11 (``--redis`` to change it).
"""

from __future__ import annotations

import argparse
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


def configure(redis_url: str) -> None:
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
            }
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


def build_contenders() -> dict[str, Callable[[list[Any]], int]]:
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

    return {
        "Redis PING (1 round trip: floor)": run_ping,
        "django_apisec AnonRateThrottle": run_ours,
        "DRF AnonRateThrottle": run_drf,
        "django-ratelimit is_ratelimited": run_ratelimit,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--redis", default=REDIS_URL)
    args = parser.parse_args()
    configure(args.redis)
    from django.core.cache import cache

    contenders = build_contenders()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    # A warm-up round each: connections, the Lua script, imports.
    for run in contenders.values():
        cache.clear()
        run(fresh_requests(CLIENTS))
    per_round = args.decisions
    for _ in range(args.rounds):
        for name, run in contenders.items():
            cache.clear()  # every round starts from empty histories (nobody is denied)
            requests = fresh_requests(per_round)
            started = time.perf_counter()
            allowed = run(requests)
            elapsed = time.perf_counter() - started
            assert allowed == per_round, f"{name} denied {per_round - allowed} decisions"
            samples[name].append(elapsed / per_round * 1e6)
    cache.clear()

    medians = {name: statistics.median(values) for name, values in samples.items()}
    ours_median = medians["django_apisec AnonRateThrottle"]
    print(f"µs per decision (median of {args.rounds} alternating rounds of {per_round}):")
    for name, median in medians.items():
        spread = f"{min(samples[name]):.0f}-{max(samples[name]):.0f}"
        ratio = median / ours_median
        print(f"  {name:34s} {median:8.0f} µs   (range {spread})   {ratio:4.1f}x ours")


if __name__ == "__main__":
    main()
