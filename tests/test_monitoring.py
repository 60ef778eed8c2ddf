"""Monitoring: the metrics endpoint is never public, its numbers match the events, the detector.

Attack tests: anonymous, non-allowlisted and forged-``X-Forwarded-For`` scrapes are refused; a
credential-stuffing wave (1,000 guesses over 500 accounts and 200 addresses) is detected, logins
are tightened then relaxed, and a legitimate user's login during the wave is never locked out.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from django.core.cache import caches
from django.test import override_settings
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from django_apisec import signals
from django_apisec.abuse.throttling import tightened_login_rate
from django_apisec.checks import monitoring as monitoring_checks
from django_apisec.monitoring import detector, metrics
from django_apisec.observability import events
from django_apisec.signals import security_event
from tests.conftest import PASSWORD

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.django_db

METRICS = "/api/metrics/"
LOGIN = "/api/auth/login/"
ATTACK = {
    "APISEC_ATTACK_WINDOW": 300,
    "APISEC_ATTACK_THRESHOLDS": {"failures": 100, "accounts": 30, "networks": 10},
    "APISEC_ATTACK_TIGHTENING": {"rate": "20/min", "duration": 120},
    # The wave's per-address and per-account throttles are not what is tested here.
    "APISEC_LOCKOUT_THRESHOLD": 5,
}


@pytest.fixture(autouse=True)
def _fresh_store() -> Iterator[None]:
    caches["default"].clear()
    yield
    caches["default"].clear()


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client: Any = None, **extra: Any) -> Any:
    return (client or APIClient()).get(METRICS, **extra)


def test_anonymous_scrape_is_refused() -> None:
    response = scrape(REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert b"apisec_" not in response.content


@override_settings(APISEC_METRICS_ALLOWED_NETWORKS=["10.0.0.0/8"])
def test_allowlisted_network_reads_and_others_are_refused() -> None:
    assert scrape(REMOTE_ADDR="10.1.2.3").status_code == 200
    assert scrape(REMOTE_ADDR="11.1.2.3").status_code == 403
    assert scrape(REMOTE_ADDR="2001:db8::1").status_code == 403


@override_settings(APISEC_METRICS_ALLOWED_NETWORKS=["10.0.0.0/8"], APISEC_TRUSTED_PROXIES=[])
def test_forged_forwarded_for_does_not_help() -> None:
    forged = scrape(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert forged.status_code == 403


def test_staff_reads_and_a_plain_user_does_not(django_user_model: Any) -> None:
    staff = django_user_model.objects.create_user("ops", password=PASSWORD, is_staff=True)
    plain = django_user_model.objects.create_user("joe", password=PASSWORD)
    client = APIClient()
    client.force_login(plain)
    assert scrape(client).status_code == 403
    client.force_login(staff)
    response = scrape(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"apisec_security_events_total" in response.content


def test_a_scripted_run_numbers_match_the_recorded_events(django_user_model: Any) -> None:
    django_user_model.objects.create_user("alice", password=PASSWORD)
    recorded: list[events.SecurityEvent] = []

    def receiver(event: events.SecurityEvent, **kwargs: Any) -> None:
        recorded.append(event)

    failed = ("authentication_failed", "failure")
    locked = ("account_locked_out", "blocked")
    before = {
        key: sample("apisec_security_events_total", event=key[0], outcome=key[1])
        for key in (failed, locked)
    }
    lockouts = sample("apisec_lockouts_total")
    security_event.connect(receiver)
    try:
        with override_settings(APISEC_LOCKOUT_THRESHOLD=3):
            client = APIClient()
            for i in range(6):
                client.post(LOGIN, {"username": "alice", "password": f"no {i}"}, format="json")
    finally:
        security_event.disconnect(receiver)
    for key in (failed, locked):
        seen = sum(1 for e in recorded if (e.type, e.outcome) == key)
        assert seen > 0
        now = sample("apisec_security_events_total", event=key[0], outcome=key[1])
        assert now - before[key] == seen
    locks = sum(
        1 for e in recorded if e.type == "account_locked_out" and e.fields["phase"] == "locked"
    )
    assert locks == 1
    assert sample("apisec_lockouts_total") - lockouts == locks


def test_throttled_requests_are_counted_by_scope(django_user_model: Any) -> None:
    before = sample("apisec_throttled_requests_total", scope="login_ip")
    rates = {"login_ip": "2/min", "login_account": None, "anon": None, "user": None}
    with override_settings(
        REST_FRAMEWORK={
            "DEFAULT_THROTTLE_RATES": rates,
            "EXCEPTION_HANDLER": "django_apisec.http.exception_handler.exception_handler",
        }
    ):
        codes = [
            APIClient()
            .post(LOGIN, {"username": f"u{i}", "password": "x"}, format="json")
            .status_code
            for i in range(4)
        ]
    assert codes.count(429) == 2
    assert sample("apisec_throttled_requests_total", scope="login_ip") - before == 2


def test_a_failing_counter_never_breaks_the_request() -> None:
    with mock.patch.object(metrics, "_count", side_effect=RuntimeError("boom")):
        event = events.record("token_reused", outcome=events.DENIED)
    assert event.type == "token_reused"


@pytest.mark.parametrize(
    ("networks", "ids"),
    [
        (["10.0.0.0/8", "192.168.0.0/16"], []),
        (["0.0.0.0/0"], ["apisec.E440"]),
        (["::/0", "10.0.0.0/8"], ["apisec.E440"]),
        (["8.8.8.0/24"], ["apisec.W441"]),
        ("not a list", []),  # apisec.E646 reports it
    ],
)
def test_metrics_network_checks(networks: Any, ids: list[str]) -> None:
    with override_settings(APISEC_METRICS_ALLOWED_NETWORKS=networks):
        assert [m.id for m in monitoring_checks.check_metrics_networks()] == ids


def test_exposition_merges_worker_files_in_multiprocess_mode(
    tmp_path: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path))
    assert metrics.exposition() == b""  # no worker has written yet


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("198.51.100.7", "198.51.100.0/24"),
        ("2001:db8:1:2::9", "2001:db8:1:2::/64"),
        (None, "unknown"),
        ("x", "unknown"),
    ],
)
def test_network_of(address: str | None, network: str) -> None:
    assert detector.network_of(address) == network


def login(username: str, password: str, address: str) -> int:
    response = APIClient().post(
        LOGIN, {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )
    assert response.json().get("code") != "locked_out" or username != "carol"
    return int(response.status_code)


@override_settings(**ATTACK)
def test_credential_stuffing_wave_is_detected_tightened_and_relaxed(django_user_model: Any) -> None:
    django_user_model.objects.create_user("carol", password=PASSWORD)
    rates = {"login_ip": None, "login_account": "10/min", "anon": None, "user": None}
    detected: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        detected.append(kwargs)

    signals.attack_detected.connect(receiver)
    statuses: list[int] = []
    legit: list[int] = []
    admitted_before = None
    clock = [1_000_000.0]
    try:
        with (
            override_settings(
                REST_FRAMEWORK={
                    "DEFAULT_THROTTLE_RATES": rates,
                    "EXCEPTION_HANDLER": "django_apisec.http.exception_handler.exception_handler",
                }
            ),
            mock.patch.object(time, "time", side_effect=lambda: clock[0]),
        ):
            for guess in range(1000):
                account, address = guess % 500, guess % 200
                statuses.append(login(f"user{account}", f"guess {guess}", f"198.{address}.0.9"))
                if detected and admitted_before is None:
                    admitted_before = guess + 1
                clock[0] += 0.05  # 1,000 guesses in 50 s
                if guess % 100 == 50:  # the legitimate user logs in during the wave
                    legit.append(login("carol", PASSWORD, "192.0.2.10"))
            assert tightened_login_rate() is not None
            clock[0] += 121  # the tightening's duration passes: relaxed by itself
            assert tightened_login_rate() is None
            legit.append(login("carol", PASSWORD, "192.0.2.10"))
    finally:
        signals.attack_detected.disconnect(receiver)
    assert len(detected) == 1
    assert detected[0]["kind"] == "credential_stuffing"
    assert admitted_before is not None
    assert admitted_before <= 110
    assert statuses.count(429) > 0  # the global rate refused guesses after the detection
    # Carol is never locked out (login() asserts it); she logs in before and after the wave.
    assert legit[0] == 200
    assert legit[-1] == 200


def test_an_unknown_client_address_is_not_allowlisted() -> None:
    with override_settings(APISEC_METRICS_ALLOWED_NETWORKS=["0.0.0.0/0"]):
        assert scrape(REMOTE_ADDR="").status_code == 403


def test_a_store_failure_in_the_detector_never_breaks_the_login() -> None:
    with mock.patch.object(detector, "observe_failure", side_effect=RuntimeError("down")):
        event = events.record(events.AUTHENTICATION_FAILED, outcome=events.FAILURE, account="a")
    assert event.fields["account"] == "a"


@override_settings(
    APISEC_ATTACK_THRESHOLDS={"failures": 2, "accounts": 2, "networks": 1},
    APISEC_ATTACK_TIGHTENING=None,
)
def test_detection_without_tightening_only_reports() -> None:
    detected: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        detected.append(kwargs)

    signals.attack_detected.connect(receiver)
    try:
        for account in ("a", "b", "c"):
            detector.observe_failure(account, "198.51.100.0/24")
    finally:
        signals.attack_detected.disconnect(receiver)
    assert [d["tightened_for"] for d in detected] == [0]  # reported once per hold period
    assert tightened_login_rate() is None
    assert detector.window_counts() == {"failures": 3, "accounts": 3, "networks": 1}


def test_a_bad_or_unreadable_tightening_is_ignored() -> None:
    from django_apisec.abuse.throttling import tightening_key

    caches["default"].set(tightening_key(), "often", 60)
    assert tightened_login_rate() is None
    with mock.patch("django_apisec.store.backends.CacheStore.get", side_effect=OSError("down")):
        assert tightened_login_rate() is None


def test_gunicorn_marks_exited_workers_dead(tmp_path: Any, monkeypatch: Any) -> None:
    from django_apisec.testing import gunicorn_hooks

    worker = mock.Mock(pid=4242)
    with mock.patch("prometheus_client.multiprocess.mark_process_dead") as dead:
        gunicorn_hooks.child_exit(None, worker)
        dead.assert_not_called()
        monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path))
        gunicorn_hooks.child_exit(None, worker)
    dead.assert_called_once_with(4242)


@override_settings(APISEC_HASHING_SLOTS=2, APISEC_HASHING_WAIT=0)
def test_the_hashing_gauges_follow_the_slots_of_this_process() -> None:
    from django_apisec.abuse import hashing

    assert hashing.acquire_slot()
    try:
        assert REGISTRY.get_sample_value("apisec_hashing_slots_busy") == 1
        assert REGISTRY.get_sample_value("apisec_hashing_slots") == 2
        assert hashing.acquire_slot()
        assert REGISTRY.get_sample_value("apisec_hashing_slots_busy") == 2
        assert not hashing.acquire_slot()  # both busy, no wait: refused, the gauge unchanged
        assert REGISTRY.get_sample_value("apisec_hashing_slots_busy") == 2
        hashing.release_slot()
    finally:
        hashing.release_slot()
    assert REGISTRY.get_sample_value("apisec_hashing_slots_busy") == 0


def test_a_failing_gauge_never_breaks_the_login() -> None:
    from django_apisec.abuse import hashing

    with mock.patch.object(metrics.HASHING_SLOTS_BUSY, "set", side_effect=RuntimeError("boom")):
        assert hashing.acquire_slot()
        hashing.release_slot()
    assert hashing.busy_hashing_slots() == 0
