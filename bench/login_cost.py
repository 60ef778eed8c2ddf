"""Latency and memory of one login with the configured Argon2 parameters, and of a refresh.

    .venv/bin/python bench/login_cost.py [--logins 9] [--refreshes 50] [--rounds 3]

The testproject in production (with Django's ``Argon2PasswordHasher``, memory 100 MiB, time cost
2, parallelism 8, what ``harden()`` installed before issue 16) on a fresh PostgreSQL
database and Redis db 10, driven in-process by Django's test client (no HTTP: the figures are the
server's work). Each measurement runs in a fresh child process:

* **login**: ``POST /api/auth/login/`` with the right password (lockout reservation, one Argon2
  verify, a new session); the first one's rise of the process's peak RSS (``ru_maxrss``: Argon2
  allocates its memory in C, where tracemalloc cannot see it) and its CPU time, then the median
  latency of ``--logins``;
* **failed login**: the same with a wrong password (one Argon2 hash, no database write);
* **refresh**: ``POST /api/auth/refresh/`` with the cookie (one conditional ``UPDATE``, no
  password hashing): median latency of ``--refreshes`` and the Python peak (tracemalloc) of one.

The same with OWASP's recommended Argon2id parameters (19 MiB, t=2, p=1, what ``harden()``
installs since issue 16): ``--variants django owasp`` (the default runs both).
Variants alternate over ``--rounds``; medians are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django_apisec.testing.server import redis_url

REDIS_URL = redis_url("bench")
PASSWORD = "correct horse battery staple"  # noqa: S105 (the bench user's)
VARIANTS = {
    "django": "Django Argon2PasswordHasher (102400 KiB, t=2, p=8)",
    "owasp": "OWASP minimum (19456 KiB, t=2, p=1)",
}


def rusage() -> tuple[float, float]:
    """Peak RSS (MiB) and CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def child(measure: str, count: int) -> dict[str, Any]:
    """One measurement in this (fresh) process."""
    import django

    django.setup()
    from django.test import Client

    client = Client(secure=True, HTTP_X_FORWARDED_PROTO="https")  # the TLS proxy
    login = {"username": "alice", "password": PASSWORD}
    health = client.get("/api/health/")  # import and connect, no hashing
    assert health.status_code == 200, (health.status_code, health.content[:300])
    if measure in ("login", "failed"):
        if measure == "failed":
            login["password"] = "wrong password"  # noqa: S105
        expected = 200 if measure == "login" else 401
        peak_before, cpu_before = rusage()
        started = time.perf_counter()
        response = client.post("/api/auth/login/", login, content_type="application/json")
        first = time.perf_counter() - started
        peak_after, cpu_after = rusage()
        assert response.status_code == expected, response.content
        latencies = [first]
        # Under the lockout threshold (5): at most 3 failures per account and process.
        for _ in range(count - 1 if measure == "login" else 2):
            started = time.perf_counter()
            response = client.post("/api/auth/login/", login, content_type="application/json")
            latencies.append(time.perf_counter() - started)
            assert response.status_code == expected, response.content
        return {
            "ms": statistics.median(latencies) * 1000,
            "rss_mib": peak_after - peak_before,
            "cpu_ms": (cpu_after - cpu_before) * 1000,
        }
    response = client.post("/api/auth/login/", login, content_type="application/json")
    assert response.status_code == 200, response.content
    latencies = []
    peaks = []
    for _ in range(count):
        tracemalloc.start()
        started = time.perf_counter()
        response = client.post("/api/auth/refresh/", content_type="application/json")
        latencies.append(time.perf_counter() - started)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert response.status_code == 200, response.content
    return {"ms": statistics.median(latencies) * 1000, "python_peak_kib": min(peaks) / 1024}


def run_child(env: dict[str, str], variant: str, measure: str, count: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", measure, "--count", str(count)],
        env={**env, "BENCH_ARGON2": variant},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode:
        sys.exit(f"{variant} {measure}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=9)
    parser.add_argument("--refreshes", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--child", choices=("login", "failed", "refresh"))
    parser.add_argument("--count", type=int, default=1)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.count)))
        return
    from bench.servers import POSTGRES_URL, migrate, production_env, python, require_services
    from django_apisec.testing.server import fresh_database

    require_services()
    import redis

    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with fresh_database(POSTGRES_URL, prefix="apisec_bench") as database_url:
        env = production_env(
            database_url,
            REDIS_URL,
            DJANGO_SETTINGS_MODULE="bench.login_settings",
            DJANGO_ALLOWED_HOSTS="testserver",
        )
        migrate(env)
        for _ in range(args.rounds):
            for variant in args.variants:
                redis.Redis.from_url(REDIS_URL).flushdb()  # lockout and throttle counters
                python(
                    {**env, "BENCH_ARGON2": variant},
                    "from django.contrib.auth import get_user_model\n"
                    "User = get_user_model()\n"
                    "User.objects.filter(username='alice').delete()\n"
                    f"User.objects.create_user('alice', password={PASSWORD!r})\n",
                )
                for measure, count in (
                    ("login", args.logins),
                    ("failed", 3),
                    ("refresh", args.refreshes),
                ):
                    result = run_child(env, variant, measure, count)
                    samples.setdefault((variant, measure), []).append(result)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    for (variant, measure), results in samples.items():
        figures = {key: statistics.median(r[key] for r in results) for key in results[0]}
        shown = ", ".join(f"{key} {value:.1f}" for key, value in figures.items())
        print(f"{VARIANTS[variant]:52s} {measure:8s} {shown}")


if __name__ == "__main__":
    main()
