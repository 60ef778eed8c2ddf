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

from bench import throttle_admission
from bench.lockout import LIMIT
from tests.integration.abuse_server import ROOT, abuse_server, require_services

pytestmark = pytest.mark.integration

ADMISSION_LIMIT = 20


def test_our_throttle_admits_exactly_its_limit_under_concurrency() -> None:
    require_services()
    path = throttle_admission.IMPLEMENTATIONS["django_apisec"][1]
    with abuse_server(
        workers=4,
        APISEC_TEST_THROTTLES="apisec",
        APISEC_TEST_URLCONF="bench.ratelimit_urls",
        APISEC_RATE_ANON=f"{ADMISSION_LIMIT}/hour",
        APISEC_RATE_USER="1000000/hour",
    ) as server:
        for level in (8, 64):
            server.reset()
            statuses = throttle_admission.burst(server, path, level, 3 * ADMISSION_LIMIT)
            assert statuses.count(200) == ADMISSION_LIMIT, (level, statuses)
            assert statuses.count(429) == 2 * ADMISSION_LIMIT, (level, statuses)


def test_our_lockout_bounds_password_checks_and_writes_nothing_per_failure() -> None:
    require_services()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "lockout.py"), "--child", "django_apisec",
         "--threads", "20"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    guesses = result["threads_20"]
    assert guesses["errors"] == 0
    assert guesses["hashes"] <= LIMIT
    assert guesses["correct_logs_in"] is False
    assert result["one_failure"]["writes"] == 0
    assert result["one_failure"]["redis"] == 1
    assert result["correct_logs_in_after_variants"] is False
