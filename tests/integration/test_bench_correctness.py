"""The benchmarks' correctness figures, in CI: they fail on a regression of what the numbers in
docs/benchmarks.rst claim, never on timing.

* bench/throttle_admission.py: over 4 gunicorn workers our throttle admits exactly its limit at
  8 and 64 concurrent clients;
* bench/lockout.py (our contender only): 20 concurrent wrong passwords against a threshold of 5
  run at most 5 password checks, the right password is then refused, a failed login costs no
  database write and one Redis round trip, and spelling variants of the username share the lock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from django_apisec.testing.server import redis_url
from tests.integration.support import ROOT
from tests.services import require_services

pytestmark = pytest.mark.integration

ADMISSION_LIMIT = 20


def run_bench(script: str, *args: str) -> list[str]:
    """Run ``bench/SCRIPT`` as a user does (a separate process); the lines it printed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout.strip().splitlines()


def test_our_throttle_admits_exactly_its_limit_under_concurrency() -> None:
    require_services(redis_url("bench"))
    lines = run_bench(
        "throttle_admission.py", "--implementations", "django_apisec", "--workers", "4",
        "--limit", str(ADMISSION_LIMIT), "--requests", str(3 * ADMISSION_LIMIT),
        "--levels", "8", "64", "--json",
    )  # fmt: skip
    rows = [json.loads(line) for line in lines]
    assert [(row["clients"], row["admitted"], row["denied"], row["other"]) for row in rows] == [
        (8, ADMISSION_LIMIT, 2 * ADMISSION_LIMIT, 0),
        (64, ADMISSION_LIMIT, 2 * ADMISSION_LIMIT, 0),
    ]


def test_our_lockout_bounds_password_checks_and_writes_nothing_per_failure() -> None:
    require_services(redis_url("bench"))
    lines = run_bench("lockout.py", "--child", "django_apisec", "--threads", "20")
    result = json.loads(lines[-1])
    assert result["limit"] == 5
    guesses = result["threads_20"]
    assert guesses["errors"] == 0
    assert guesses["hashes"] <= result["limit"]
    assert guesses["correct_logs_in"] is False
    assert result["one_failure"]["writes"] == 0
    assert result["one_failure"]["redis"] == 1
    assert result["correct_logs_in_after_variants"] is False
