"""Time of ``manage.py check --deploy`` against the size of the URLconf.

    .venv/bin/python bench/deploy_gate_scale.py [--routes 0 100 1000 5000] [--repeat 3]

For each size, a fresh process configures the testproject in production (bench/scale_settings.py:
the testproject plus ``N`` generated routes from bench/scale_urls.py, every one authenticated and
owner-scoped) and runs every check ``check --deploy`` runs, timed one by one. Reported, median of
``--repeat`` processes, sizes alternating: the time of the checks alone (after ``django.setup()``
and the URLconf import, which are the project's cost), the URLconf import, and the whole process
(``python manage.py check --deploy`` as CI runs it). The checks' time is split by the module
that registered them: django_apisec's own and drf-spectacular's schema check (the testproject
installs drf-spectacular, whose check generates the whole OpenAPI schema). Target: the checks
under 2 s at 1,000 routes. Exits non-zero if the gate reports an error (it must pass).
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

from bench.servers import POSTGRES_URL, ROOT, production_env

CHILD = """
import collections, json, time
import django
django.setup()
from django.core.checks import ERROR
from django.core.checks.registry import registry
from django.urls import get_resolver
started = time.perf_counter()
get_resolver().url_patterns  # import the URLconf
imported = time.perf_counter() - started
# What check --deploy runs (call_command("check", deploy=True)), timed per check function.
by_module = collections.Counter()
errors = []
for check in registry.get_checks(include_deployment_checks=True):
    started = time.perf_counter()
    messages = check(app_configs=None, databases=None)
    by_module[check.__module__.split(".")[0]] += time.perf_counter() - started
    errors += [str(m) for m in messages if m.level >= ERROR and not m.is_silenced()]
print(json.dumps({"by_module": by_module, "import": imported, "errors": errors}))
"""


def run(routes: int) -> dict[str, float]:
    """One process: the checks' and the URLconf import's seconds, and the process's."""
    env = production_env(
        POSTGRES_URL,
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
        sys.exit(f"{routes} routes: the checks crashed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["errors"]:
        sys.exit(f"{routes} routes: check --deploy fails: {result['errors'][:3]}")
    modules = result["by_module"]
    return {
        "checks": sum(modules.values()),
        "ours": modules.get("django_apisec", 0.0),
        "spectacular": modules.get("drf_spectacular", 0.0),
        "import": result["import"],
        "process": wall,
    }


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
    columns = ("checks", "ours", "spectacular", "import", "process")
    header = ("routes", "all checks s", "django_apisec s", "drf-spectacular s", "URLconf import s")
    print(" ".join(f"{h:>{max(7, len(h))}s}" for h in (*header, "process s", "ms/route")))
    for routes, values in samples.items():
        medians = [statistics.median(v[c] for v in values) for c in columns]
        per_route = (medians[0] - base) / routes * 1000 if routes != args.routes[0] else 0.0
        print(
            f"{routes:7d} {medians[0]:12.2f} {medians[1]:15.2f} {medians[2]:17.2f} "
            f"{medians[3]:16.2f} {medians[4]:9.2f} {per_route:8.2f}"
        )


if __name__ == "__main__":
    main()
