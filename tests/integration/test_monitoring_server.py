"""Monitoring on the running testproject: a scripted attack, then the metrics endpoint.

The testproject runs in its production profile under gunicorn with three workers (the one
harness) in prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``), behind a
trusted proxy on 127.0.0.1 (the requests name their client in ``X-Forwarded-For``). A scripted
run — an account locked, an address throttled, a credential-stuffing wave over 50 accounts and
25 networks — is read back two ways: from the server's security log (every
event is one JSON line) and from ``/api/metrics/``; the numbers must be the same, whichever
worker answers the scrape. The wave is detected, logins are tightened for ten seconds and relax
by themselves.

Attack tests: the metrics endpoint refuses an anonymous client, a client outside
``APISEC_METRICS_ALLOWED_NETWORKS``, and one that forges an allowlisted address in front of its
own in ``X-Forwarded-For``.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
import redis as redis_lib

from django_apisec.testing.server import (
    django_admin,
    django_env,
    fresh_database,
    production_env,
    redis_url,
    serve,
)
from tests.integration.support import ROOT
from tests.services import require_services

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django_apisec.testing.server import Server

pytestmark = pytest.mark.integration

SETTINGS = "testproject.settings"
PASSWORD = "a monitored user's passphrase"
SCRAPER = "10.255.0.1"  # in APISEC_METRICS_ALLOWED_NETWORKS
WAVE = 110  # over the detector's 100 failures, 30 accounts, 10 networks
TIGHTENED_FOR = 10
# The tests play the TLS-terminating proxy (production redirects plain http).
PROXY = {"X-Forwarded-Proto": "https", "Accept": "application/json"}


@pytest.fixture(scope="module")
def run() -> Iterator[dict[str, Any]]:
    """The scripted run on a fresh server: statuses, the security log, the scrape, Redis."""
    redis = redis_url("monitoring")
    postgres = require_services(redis)
    client = redis_lib.Redis.from_url(redis)
    client.flushdb()
    with (
        fresh_database(postgres, prefix="apisec_monitoring") as database,
        tempfile.TemporaryDirectory(prefix="apisec-metrics-") as metrics_dir,
    ):
        env = production_env(
            database,
            redis,
            APISEC_RATE_ANON="100000/min",
            APISEC_RATE_USER="100000/min",
            APISEC_RATE_LOGIN_IP="8/hour",
            APISEC_ATTACK_LOGIN_RATE="5/min",
            APISEC_ATTACK_TIGHTENING_SECONDS=str(TIGHTENED_FOR),
            APISEC_METRICS_ALLOWED_NETWORKS="10.255.0.0/16",
            PROMETHEUS_MULTIPROC_DIR=metrics_dir,
        )
        manage = django_env(SETTINGS, env, root=ROOT)
        django_admin(manage, "migrate", "--noinput", "-v", "0", root=ROOT)
        create = (
            "from django.contrib.auth import get_user_model; "
            f"get_user_model().objects.create_user('erin', password={PASSWORD!r})"
        )
        django_admin(manage, "shell", "-c", create, root=ROOT)
        with serve(SETTINGS, env=env, workers=3, headers=PROXY, root=ROOT) as server:
            yield scripted_run(server, client)


def login(server: Server, username: str, password: str, address: str) -> tuple[int, Any]:
    answer = server.request(
        "POST",
        "/api/auth/login/",
        {"username": username, "password": password},
        {"X-Forwarded-For": address},
    )
    return answer.status, answer.json().get("code") if answer.status >= 400 else None


def tightened(client: redis_lib.Redis) -> bool:
    return any(client.exists(key) for key in client.scan_iter(match="*login.tightening*"))


def scrape(server: Server, forwarded_for: str | None) -> Any:
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    return server.request("GET", "/api/metrics/", headers=headers)


def scripted_run(server: Server, client: redis_lib.Redis) -> dict[str, Any]:
    statuses: dict[str, list[tuple[int, Any]]] = {"wave": [], "lock": [], "probe": []}
    # Before the wave: once detected, any failure within the window would tighten again.
    for guess in range(6):  # erin locks at the 5th failure; the 6th is refused
        statuses["lock"].append(login(server, "erin", f"wrong {guess}", "203.0.113.8"))
    for guess in range(10):  # the login_ip rate (8/hour) refuses the last 2
        statuses["probe"].append(login(server, f"probe{guess}", "guess", "198.51.100.9"))
    for guess in range(WAVE):
        address = f"10.{guess % 25}.0.{1 + guess // 25}"  # 25 networks, at most 5 per address
        statuses["wave"].append(login(server, f"target{guess % 50}", f"guess {guess}", address))
    statuses["tightened_after_wave"] = tightened(client)  # type: ignore[assignment]
    time.sleep(TIGHTENED_FOR + 1)  # relax by itself
    statuses["relaxed"] = not tightened(client)  # type: ignore[assignment]
    refused = {
        "anonymous": scrape(server, None).status,
        "outside": scrape(server, "203.0.113.77").status,
        "forged": scrape(server, f"{SCRAPER}, 203.0.113.77").status,
    }
    scraped = []
    for _ in range(6):  # several scrapes: different workers answer, the same numbers
        answer = scrape(server, SCRAPER)
        assert answer.status == 200
        scraped.append(parse_metrics(answer.body))
    records = [
        json.loads(line)
        for line in server.log_text().splitlines()
        if line.startswith("{") and '"logger":"django_apisec.security"' in line
    ]
    return {"statuses": statuses, "refused": refused, "scrapes": scraped, "records": records}


def parse_metrics(body: bytes) -> dict[str, float]:
    values = {}
    for line in body.decode().splitlines():
        if line.startswith("apisec_") and "_created" not in line:
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def test_the_metrics_endpoint_refuses_everyone_else(run: dict[str, Any]) -> None:
    assert run["refused"] == {"anonymous": 403, "outside": 403, "forged": 403}


def test_the_wave_is_detected_tightened_and_relaxed(run: dict[str, Any]) -> None:
    statuses = run["statuses"]
    assert statuses["tightened_after_wave"] is True
    assert statuses["relaxed"] is True
    [detected] = [r for r in run["records"] if r["event"] == "attack_detected"]
    assert detected["failures"] >= 100
    assert detected["accounts"] >= 30
    assert detected["networks"] >= 10
    assert detected["tightened_for"] == TIGHTENED_FOR
    # Tightened to 5/min: most of the wave's last guesses were refused before a password check.
    assert Counter(status for status, _ in statuses["wave"])[429] >= 1
    # Erin's five wrong passwords were all checked (401), then her lock refused (not a rate).
    assert statuses["lock"] == [(401, "authentication_failed")] * 5 + [(429, "locked_out")]
    assert [status for status, _ in statuses["probe"]] == [401] * 8 + [429] * 2


def test_the_metrics_match_the_events_of_the_run(run: dict[str, Any]) -> None:
    records = run["records"]
    events = Counter((r["event"], r["outcome"]) for r in records)
    locks = sum(1 for r in records if r["event"] == "account_locked_out" and r["phase"] == "locked")
    scopes = Counter(s for r in records if r["event"] == "throttled" for s in r.get("scopes", []))
    assert events[("authentication_failed", "failure")] >= WAVE // 2
    assert scopes["login_ip"] == 2
    assert scopes["login_tightened"] >= 1
    scrapes = run["scrapes"]
    assert all(scrape == scrapes[0] for scrape in scrapes)  # every worker: the merged numbers
    metrics = scrapes[0]
    for (event, outcome), count in events.items():
        name = f'apisec_security_events_total{{event="{event}",outcome="{outcome}"}}'
        assert metrics[name] == count, name
    assert metrics["apisec_lockouts_total"] == locks == 1
    assert metrics['apisec_attacks_detected_total{kind="credential_stuffing"}'] == 1
    for scope, count in scopes.items():
        assert metrics[f'apisec_throttled_requests_total{{scope="{scope}"}}'] == count
    counted = {n for n in metrics if n.startswith("apisec_security_events_total")}
    assert len(counted) == len(events)  # no metric without its events
