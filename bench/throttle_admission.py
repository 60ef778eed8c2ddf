"""Admitted requests and req/s under concurrency, over 4 gunicorn workers, same Redis:
django_apisec's throttle vs DRF's SimpleRateThrottle vs django-ratelimit.

    .venv/bin/python bench/throttle_admission.py [--limit 100] [--requests 400]

For each implementation a fresh production deployment of the testproject is started
(tests/integration/abuse_server.py: gunicorn over TLS, a new PostgreSQL database, Redis db 12),
then for 1, 8, 64 and 256 concurrent clients (all from 127.0.0.1, one bucket) ``--requests``
requests are sent against a limit of ``--limit`` per hour, Redis flushed between levels. Exact
is ``admitted == limit``. Every request opens a new TLS connection (separate clients), so req/s
is bounded by the client and the handshakes on this 2-core machine, not by the throttles.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.abuse_server import AbuseServer, abuse_server, require_services

LEVELS = (1, 8, 64, 256)
# Each implementation: the APISEC_TEST_THROTTLES value and the path it guards.
IMPLEMENTATIONS = {
    "django_apisec": ("apisec", "/api/health/"),
    "DRF SimpleRateThrottle": ("drf", "/api/health/"),
    "django-ratelimit": ("none", "/bench/ratelimited/"),
}


def burst(server: AbuseServer, path: str, concurrency: int, count: int) -> list[int]:
    """``count`` GETs of ``path`` with ``concurrency`` in flight; their statuses."""
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(lambda _: server.request("GET", path).status, range(count)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    require_services()
    print(f"limit {args.limit}/hour, {args.requests} requests per level, {args.workers} workers")
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    columns = ("clients", "admitted", "429", "other", "req/s")
    print(f"{'implementation':24s} " + " ".join(f"{c:>8s}" for c in columns))
    for name, (throttles, path) in IMPLEMENTATIONS.items():
        with abuse_server(
            workers=args.workers,
            APISEC_TEST_THROTTLES=throttles,
            APISEC_TEST_URLCONF="bench.ratelimit_urls",
            APISEC_RATE_ANON=f"{args.limit}/hour",
            APISEC_RATE_USER="1000000/hour",
        ) as server:
            burst(server, path, args.workers * 2, args.workers * 10)  # warm every worker up
            for level in LEVELS:
                server.reset()
                started = time.perf_counter()
                statuses = burst(server, path, level, args.requests)
                elapsed = time.perf_counter() - started
                admitted, denied = statuses.count(200), statuses.count(429)
                other = len(statuses) - admitted - denied
                rate = len(statuses) / elapsed
                row = (level, admitted, denied, other, round(rate))
                print(f"{name:24s} " + " ".join(f"{value:8d}" for value in row))


if __name__ == "__main__":
    main()
