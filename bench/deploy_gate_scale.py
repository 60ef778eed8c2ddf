"""Time of ``manage.py check --deploy`` against the size of the URLconf.

    .venv/bin/python bench/deploy_gate_scale.py [--routes 0 100 1000 5000] [--repeat 3]

For each size, a fresh process configures the testproject in production (bench/scale_settings.py:
the testproject plus ``N`` generated routes from bench/scale_urls.py, every one authenticated and
owner-scoped) and runs ``check --deploy`` through ``call_command``. Reported, median of
``--repeat`` processes, sizes alternating: the time of the checks alone (after ``django.setup()``
and the URLconf import, which are the project's cost), the URLconf import, and the whole process
(``python manage.py check --deploy`` as CI runs it). Target: the checks under 2 s at 1,000 routes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.servers import production_env
from tests.integration.abuse_server import POSTGRES_URL, REDIS_URL, ROOT

CHILD = """
import io, json, time
import django
django.setup()
from django.core.management import call_command
from django.urls import get_resolver
started = time.perf_counter()
resolver = get_resolver()
resolver.url_patterns  # import the URLconf
imported = time.perf_counter() - started
started = time.perf_counter()
out = io.StringIO()
call_command("check", deploy=True, fail_level="ERROR", stdout=out, stderr=out)
checks = time.perf_counter() - started
print(json.dumps({"checks": checks, "import": imported, "output": out.getvalue()[-300:]}))
"""


def run(routes: int) -> dict[str, float]:
    """One process: the checks' and the URLconf import's seconds, and the process's."""
    env = production_env(
        POSTGRES_URL,
        REDIS_URL,
        DJANGO_SETTINGS_MODULE="bench.scale_settings",
        BENCH_ROUTES=str(routes),
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(
            f"{routes} routes: check --deploy failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"checks": result["checks"], "import": result["import"], "process": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, nargs="+", default=[0, 100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    samples: dict[int, list[dict[str, float]]] = {n: [] for n in args.routes}
    for _ in range(args.repeat):
        for routes in args.routes:
            samples[routes].append(run(routes))
    base = statistics.median(s["checks"] for s in samples[args.routes[0]])
    header = ("routes", "checks s", "URLconf import s", "process s", "ms/route")
    print(" ".join(f"{h:>{max(7, len(h))}s}" for h in header))
    for routes, values in samples.items():
        checks = statistics.median(v["checks"] for v in values)
        imported = statistics.median(v["import"] for v in values)
        process = statistics.median(v["process"] for v in values)
        per_route = (checks - base) / routes * 1000 if routes and routes != args.routes[0] else 0.0
        print(f"{routes:7d} {checks:8.2f} {imported:16.2f} {process:9.2f} {per_route:8.2f}")


if __name__ == "__main__":
    main()
