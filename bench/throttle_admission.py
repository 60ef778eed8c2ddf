"""Admitted requests and req/s under concurrency, over 4 gunicorn workers, same Redis:
django_apisec's throttle vs DRF's SimpleRateThrottle vs django-ratelimit.

    .venv/bin/python bench/throttle_admission.py [--limit 100] [--requests 400]

For each implementation a fresh production deployment of the testproject is started
(bench/throttle_settings.py on the harness ``django_apisec.testing.server.serve``: gunicorn over
TLS, a new PostgreSQL database, the benchmarks' Redis database), then for 1, 8, 64 and 256
concurrent clients (all from 127.0.0.1, one bucket) ``--requests`` requests are sent against a
limit of ``--limit`` per hour, Redis flushed between levels. Exact is ``admitted == limit``.
Every request opens a new TLS connection (separate clients), so req/s is bounded by the client
and the handshakes on this 2-core machine, not by the throttles. ``--json`` prints one JSON
object per row instead of the table (tests/integration/test_bench_correctness.py reads it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis

from bench.servers import POSTGRES_URL, REDIS_URL, migrate, production_env, require_services, serve
from django_apisec.testing.server import fresh_database

if TYPE_CHECKING:
    from django_apisec.testing.server import Server

LEVELS = (1, 8, 64, 256)
# Each implementation: the BENCH_THROTTLES value and the path it guards.
IMPLEMENTATIONS = {
    "django_apisec": ("apisec", "/api/health/"),
    "DRF SimpleRateThrottle": ("drf", "/api/health/"),
    "django-ratelimit": ("none", "/bench/ratelimited/"),
}


def burst(server: Server, path: str, concurrency: int, count: int) -> list[int]:
    """``count`` GETs of ``path`` with ``concurrency`` in flight; their statuses."""
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(lambda _: server.request("GET", path).status, range(count)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--levels", type=int, nargs="+", default=list(LEVELS))
    parser.add_argument(
        "--implementations", nargs="+", choices=IMPLEMENTATIONS, default=list(IMPLEMENTATIONS)
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    require_services()
    if not args.json:
        print(
            f"limit {args.limit}/hour, {args.requests} requests per level, {args.workers} workers"
        )
        print(f"load average at start: {os.getloadavg()[0]:.1f}")
        columns = ("clients", "admitted", "429", "other", "req/s")
        print(f"{'implementation':24s} " + " ".join(f"{c:>8s}" for c in columns))
    for name in args.implementations:
        throttles, path = IMPLEMENTATIONS[name]
        with fresh_database(POSTGRES_URL, prefix="apisec_bench") as database_url:
            env = production_env(
                database_url,
                DJANGO_SETTINGS_MODULE="bench.throttle_settings",
                BENCH_THROTTLES=throttles,
                # Over TLS the server is the edge: it trusts no proxy.
                APISEC_TRUSTED_PROXIES="",
                APISEC_RATE_ANON=f"{args.limit}/hour",
                APISEC_RATE_USER="1000000/hour",
            )
            migrate(env)
            with serve(env, args.workers, tls=True) as server:
                burst(server, path, args.workers * 2, args.workers * 10)  # warm every worker up
                for level in args.levels:
                    redis.Redis.from_url(REDIS_URL).flushdb()
                    started = time.perf_counter()
                    statuses = burst(server, path, level, args.requests)
                    elapsed = time.perf_counter() - started
                    admitted, denied = statuses.count(200), statuses.count(429)
                    other = len(statuses) - admitted - denied
                    rate = len(statuses) / elapsed
                    if args.json:
                        row = {"implementation": name, "clients": level, "admitted": admitted}
                        print(json.dumps({**row, "denied": denied, "other": other}), flush=True)
                        continue
                    values = (level, admitted, denied, other, round(rate))
                    print(f"{name:24s} " + " ".join(f"{value:8d}" for value in values))


if __name__ == "__main__":
    main()
