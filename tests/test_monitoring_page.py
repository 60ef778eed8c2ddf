"""The admin's security page and the shared series behind it.

Attack tests: the page is staff-only with its own permission, the unlock is a CSRF-protected POST
with its own permission; a scripted attack's failures, locks and networks are what the page
shows. On Redis (one server and Redis Cluster) every worker's writes land in one hash slot, a
failed login costs the detector one script, and what one process writes another reads.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import caches
from django.test import Client, override_settings
from redis.crc import key_slot
from rest_framework.test import APIClient

from django_apisec.abuse import lockout
from django_apisec.monitoring import detector, series
from django_apisec.monitoring.charts import Chart, area_chart
from django_apisec.store.backends import RedisStore, current_store
from tests.conftest import LOGIN, PASSWORD
from tests.services import cluster_caches, record_store_commands, redis_caches, require_redis

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.django_db

PAGE = "/admin/apisec_monitoring/securityoverview/"
UNLOCK = PAGE + "unlock/"
LOCKOUT = {"APISEC_LOCKOUT_THRESHOLD": 3, "APISEC_LOCKOUT_PERIODS": [60, 300]}


@pytest.fixture(autouse=True)
def _fresh_store() -> Iterator[None]:
    caches["default"].clear()
    yield
    caches["default"].clear()


def staff(username: str, *perms: str) -> Any:
    user = get_user_model().objects.create_user(username, password=PASSWORD, is_staff=True)
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def as_user(user: Any, **extra: Any) -> Client:
    client = Client(**extra)
    client.force_login(user)
    return client


def fail_login(username: str, address: str) -> int:
    response = APIClient().post(
        LOGIN, {"username": username, "password": "wrong guess"}, format="json", REMOTE_ADDR=address
    )
    return int(response.status_code)


def chart_total(content: bytes, kind: str) -> int:
    match = re.search(rb'data-kind="' + kind.encode() + rb'" data-total="(\d+)"', content)
    assert match is not None, kind
    return int(match.group(1))


# --- who sees the page, who unlocks -----------------------------------------------------------


def test_anonymous_and_plain_users_are_sent_to_the_admin_login(django_user_model: Any) -> None:
    assert Client().get(PAGE).status_code == 302
    plain = django_user_model.objects.create_user("plain", password=PASSWORD)
    answer = as_user(plain).get(PAGE)
    assert answer.status_code == 302
    assert "/admin/login/" in answer["Location"]


def test_staff_without_the_view_permission_is_refused() -> None:
    assert as_user(staff("nosy")).get(PAGE).status_code == 403


def test_the_view_permission_shows_the_page_without_unlock_buttons() -> None:
    for guess in range(3):
        fail_login("victim", f"198.51.100.{guess}")
    with override_settings(**LOCKOUT):
        for _ in range(3):
            lockout.record_failure(None, lockout.reserve(None, "locked-one"))
    page = as_user(staff("viewer", "view_securityoverview")).get(PAGE)
    assert page.status_code == 200
    assert b'data-username="locked-one"' in page.content
    assert b'value="Unlock"' not in page.content


@override_settings(**LOCKOUT)
def test_unlock_needs_its_permission_a_post_and_the_csrf_token() -> None:
    for _ in range(3):
        lockout.record_failure(None, lockout.reserve(None, "victim"))
    viewer = as_user(staff("viewer", "view_securityoverview"))
    assert viewer.post(UNLOCK, {"username": "victim"}).status_code == 403
    operator = staff("operator", "view_securityoverview", "unlock_account")
    assert as_user(operator).get(UNLOCK, {"username": "victim"}).status_code == 405
    # A forged cross-site form: no CSRF token, refused before anything is unlocked.
    csrf_checked = as_user(operator, enforce_csrf_checks=True)
    assert csrf_checked.post(UNLOCK, {"username": "victim"}).status_code == 403
    assert "victim" in lockout.locked_accounts()
    # The page's own form carries the token.
    page = csrf_checked.get(PAGE)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert token is not None
    answer = csrf_checked.post(
        UNLOCK, {"username": "victim", "csrfmiddlewaretoken": token.group(1).decode()}
    )
    assert answer.status_code == 302
    assert "victim" not in lockout.locked_accounts()
    assert b"Victim: unlocked." in csrf_checked.get(PAGE).content  # (capitalised)


def test_unlock_of_no_account_is_a_message_not_an_error() -> None:
    operator = as_user(staff("operator", "view_securityoverview", "unlock_account"))
    answer = operator.post(UNLOCK, {"username": "  "}, follow=True)
    assert answer.status_code == 200
    assert b"No account was named." in answer.content


def test_a_store_failure_shows_on_the_page_never_a_500() -> None:
    viewer = as_user(staff("viewer", "view_securityoverview"))
    with override_settings(CACHES=redis_caches("redis://127.0.0.1:1/0"), APISEC_CACHE="abuse"):
        page = viewer.get(PAGE)
        assert page.status_code == 200
        assert b'id="store-failed"' in page.content
        operator = as_user(staff("operator", "view_securityoverview", "unlock_account"))
        answer = operator.post(UNLOCK, {"username": "victim"}, follow=True)
        assert answer.status_code == 200
        assert b"nothing was unlocked" in answer.content


# --- the page shows a scripted attack ---------------------------------------------------------


@override_settings(
    **LOCKOUT, APISEC_ATTACK_THRESHOLDS={"failures": 20, "accounts": 5, "networks": 3}
)
def test_the_page_shows_the_attack_it_was_fed() -> None:
    # 24 failed logins: 8 accounts (3 each: every one locks), 4 networks, 6 from 203.0.113.0/24.
    for guess in range(24):
        assert fail_login(f"target{guess % 8}", f"203.0.{113 + guess % 4}.{guess}") == 401
    page = as_user(staff("viewer", "view_securityoverview")).get(PAGE)
    content = page.content
    assert chart_total(content, series.FAILED_LOGINS) == 24
    assert chart_total(content, series.LOCKOUTS) == 8
    assert chart_total(content, series.TOKEN_REUSE) == 0
    assert content.count(b'class="locked-account"') == 8
    networks = re.findall(rb'<tr class="network"><td>([^<]+)</td><td>(\d+)</td>', content)
    assert sorted(networks) == [(f"203.0.{n}.0/24".encode(), b"6") for n in range(113, 117)]
    # 24 >= 20 failures over 8 >= 5 accounts and 4 >= 3 networks: reported (tightening is off).
    assert b'id="reported"' in content
    assert b"<script" not in content.split(b'id="content-main"')[1]  # no script: inline SVG


def test_throttled_requests_are_charted() -> None:
    with override_settings(
        REST_FRAMEWORK={
            "DEFAULT_THROTTLE_RATES": {"login_ip": "2/min", "login_account": None},
            "EXCEPTION_HANDLER": "django_apisec.http.exception_handler.exception_handler",
        }
    ):
        statuses = [fail_login("someone", "192.0.2.9") for _ in range(5)]
    assert statuses.count(429) == 3
    assert series.read().total(series.THROTTLED) == 3


def test_the_series_keeps_24_hours_by_the_minute() -> None:
    now = 1_800_000_000.0
    series.count(series.TOKEN_REUSE, when=now)
    series.count(series.TOKEN_REUSE, when=now - 60)
    series.count(series.TOKEN_REUSE, when=now - 23 * 3600)
    series.count(series.TOKEN_REUSE, when=now - 24 * 3600)  # a minute too old for the page
    values = series.read(when=now).series[series.TOKEN_REUSE]
    assert len(values) == series.MINUTES
    assert values[-1] == values[-2] == 1
    assert values[-1 - 23 * 60] == 1
    assert sum(values) == 3


def test_a_chart_is_one_inline_svg_with_its_figures() -> None:
    svg = str(area_chart(Chart("failed_logins", "Failed <logins>", "#ba2121", [0, 3, 1]), 100))
    assert svg.startswith("<svg ")
    assert svg.endswith("</svg>")
    assert 'data-total="4"' in svg
    assert 'data-peak="3"' in svg
    assert "Failed &lt;logins&gt;" in svg
    assert "style" not in svg  # presentation attributes only: the admin's CSP allows them


# --- on Redis: one hash slot, one script per failure, shared by every worker ------------------


@pytest.fixture(params=["redis", "cluster"])
def redis_store(request: pytest.FixtureRequest) -> Iterator[RedisStore]:
    if request.param == "cluster":
        configured = cluster_caches(request.getfixturevalue("cluster"))
    else:
        require_redis()
        configured = redis_caches()
    with override_settings(CACHES=configured, APISEC_CACHE="abuse"):
        caches["abuse"].clear()
        store = current_store()
        assert isinstance(store, RedisStore)
        yield store
        caches["abuse"].clear()
        store.client.close()


@override_settings(APISEC_ATTACK_THRESHOLDS={"failures": 6, "accounts": 6, "networks": 3})
def test_a_failed_login_is_one_script_in_one_hash_slot(
    redis_store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = record_store_commands(redis_store, monkeypatch)
    counts = [detector.observe_failure(f"acct{i}", f"198.51.{i % 3}.0/24") for i in range(5)]
    assert counts[-1] == {"failures": 5, "accounts": 5, "networks": 3}
    evalsha = [c for c in sent if str(c[0]).upper() == "EVALSHA"]
    loads = sum(1 for c in sent if str(c[0]).upper() == "SCRIPT")
    assert loads <= 1
    assert len(evalsha) == 5 + loads  # one script per failed login (retried once after a load)
    assert {str(c[0]).upper() for c in sent} <= {"EVALSHA", "SCRIPT"}
    for command in evalsha:
        keys = command[3 : 3 + int(command[2])]
        assert len({key_slot(str(key).encode()) for key in keys}) == 1
    sent.clear()
    overview = series.read()
    names = [str(c[0]).upper() for c in sent]
    assert names in (["EVALSHA"], ["EVALSHA", "SCRIPT", "EVALSHA"])  # the page: one script
    assert overview.total(series.FAILED_LOGINS) == 5
    assert sum(count for _, count in overview.networks) == 5


@override_settings(APISEC_ATTACK_THRESHOLDS={"failures": 6, "accounts": 6, "networks": 3})
def test_distinct_counts_span_the_window_and_the_wave_is_reported_once(
    redis_store: RedisStore,
) -> None:
    for _ in range(3):  # the same account and network again: one of each
        detector.observe_failure("same", "198.51.100.0/24")
    assert detector.window_counts() == {"failures": 3, "accounts": 1, "networks": 1}
    reports = [detector.observe_failure(f"acct{i}", f"203.0.{i % 4}.0/24") for i in range(40)]
    assert reports[-1] == {"failures": 43, "accounts": 41, "networks": 5}
    # Reported once: the tightening key holds and the report marker refuses the others.
    assert redis_store.get(detector._report_key()) == 1


def test_the_networks_kept_per_hour_are_bounded(redis_store: RedisStore) -> None:
    key = series.networks_key(int(time.time() // 3600))
    for i in range(2 * series.NETWORKS_KEPT + 1):
        detector.observe_failure("acct", f"10.{i // 256}.{i % 256}.0/24")
    assert redis_store.client.zcard(redis_store.key(key)) == series.NETWORKS_KEPT


@override_settings(APISEC_ATTACK_THRESHOLDS={"failures": 10, "accounts": 5, "networks": 3})
def test_the_development_cache_keeps_its_sets_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detector, "SET_CAP", 8)
    for i in range(50):
        detector.observe_failure(f"acct{i}", f"10.{i}.0.0/24")
    # Each set stops at the cap or the largest threshold (10): past it, no decision changes.
    assert detector.window_counts() == {"failures": 50, "accounts": 10, "networks": 10}
    assert detector.reported()


def test_the_overview_model_and_the_rate_texts() -> None:
    from django_apisec.monitoring.admin import _rate_text
    from django_apisec.monitoring.models import SecurityOverview

    assert str(SecurityOverview()) == "Security overview"
    assert _rate_text(30, 60) == "30/min"
    assert _rate_text(5, 7) == "5/7s"


def test_a_store_failure_in_the_series_never_breaks_the_request(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django_apisec.observability import events

    def broken(kind: str, when: float | None = None) -> None:
        raise ConnectionError("store down")

    monkeypatch.setattr(series, "count", broken)
    event = events.record("token_reused", outcome=events.DENIED)
    assert event.type == "token_reused"
    assert "Could not count a" in caplog.text


def test_the_network_ranking_on_a_cache_without_scripts_keeps_the_top_ones() -> None:
    cache = caches["default"]
    keys = ["t-series", "t-networks", "t-marker", "t-w-failures", "t-w-accounts", "t-w-networks"]
    thresholds = [10_000, 10_000, 10_000]
    for network in ["10.0.0.0/24", "10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]:
        args = ["m1", network, "acct", 60, 60, 1, *thresholds, 60]
        detector._failure_in_cache(cache, keys, args)
    # Kept: 1; past twice that the ranking is cut back to the busiest network.
    assert cache.get("t-networks") == {"10.0.0.0/24": 2}
