"""apisec.E6xx: every APISEC_* setting, given garbage, is reported and never breaks a request."""

from __future__ import annotations

import io
import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.utils.functional import SimpleLazyObject
from rest_framework.test import APIClient

from django_apisec import conf
from django_apisec.checks import settings as checks
from django_apisec.checks.registry import MESSAGES
from django_apisec.conf import SETTINGS, apisec_settings

HUGE = 10**30
GARBAGE: dict[str, list[Any]] = {
    "APISEC_PROFILE": ["prod", "", None, 1, ["production"]],
    "APISEC_API_PREFIX": ["", None, 42, b"/api/", ["/api/"]],
    "APISEC_CACHE": ["", None, 42, ["default"]],
    "APISEC_FAILURE_POLICY": ["Open", "CLOSED", "", None, True, 0],
    "APISEC_TRUSTED_PROXIES": [None, 42, True, b"10.0.0.0/8", {"10.0.0.0/8": 1}],
    "APISEC_HARDENING_REPORT": [None, "text", ["DEBUG"], {"DEBUG": 1}, {1: "profile"}],
    "APISEC_MAX_BODY_SIZE": ["5000", 0, -1, HUGE, 2.5, True, "1 MiB"],
    "APISEC_JSON_MAX_DEPTH": ["8", 0, -5, HUGE, 8.0, True, None],
    "APISEC_JSON_MAX_ITEMS": ["10", 0, -1, HUGE, 1e4, False, None],
    "APISEC_MAX_PAGE_SIZE": ["40", 0, -5, HUGE, None, True, [10]],
    "APISEC_LOCKOUT_THRESHOLD": ["3", 0, -1, HUGE, None, True, 2.9],
    "APISEC_LOCKOUT_PERIODS": [[], [10, 0], [10, "x"], "60", None, [HUGE], [-1], 60],
    "APISEC_LOCKOUT_WINDOW": ["60", 0, -1, HUGE, None, True],
    "APISEC_LOCKOUT_WAIT": ["2000", -1, 60_001, HUGE, None, 0.5, True],
    "APISEC_HASHING_SLOTS": ["4", 0, -1, 1025, 2.0, True],
    "APISEC_HASHING_WAIT": ["500", -1, 60_001, None, 0.5, False],
    "APISEC_HASHING_MEMORY_BUDGET": ["512", 0, -1, HUGE, None, 512.0, True],
    "APISEC_TRUSTED_DEVICE_AGE": ["30 days", 0, -1, HUGE, None, timedelta(days=1)],
    "APISEC_JWT_SESSION_MAX_AGE": [
        "1 day",
        "60",
        0,
        -1,
        HUGE,
        None,
        60.5,
        timedelta(0),
        timedelta(days=-1),
        timedelta(days=999_999),
    ],
    "APISEC_JWT_REUSE_GRACE_SECONDS": [None, "10", -1, HUGE, 1.5, True],
    "APISEC_JWT_REUSE_DEACTIVATES_USER": ["False", "yes", 1, 0, None],
    "APISEC_JWT_BODY_TRANSPORT": ["False", "true", 1, None],
    "APISEC_JWT_COOKIE_SECURE": ["False", "no", 0, 1],
    "APISEC_JWT_COOKIE_PATH": ["", "api/auth/", "/a b/", "/a;b", 42, ["/"]],
    "APISEC_JWT_FINGERPRINT": ["yes", "False", 1, None],
    "APISEC_JWT_PREVIOUS_KEYS": [None, "", 42, ["a", ""], ["a", None], [b"key"], {"a": "b"}],
    "APISEC_JWT_PRUNE_EVERY": ["abc", "100", -1, HUGE, None, 1.0, True],
    "APISEC_JWT_PRUNE_BATCH_SIZE": ["1000", 0, -1, HUGE, 10_001, None, True],
    "APISEC_OWNERSHIP_DEPTH": ["3", 0, 7, None, 2.0, True],
    "APISEC_SHARED_MODELS": ["shop.Product", [""], [None], None, 42],
    "APISEC_AUDIT_SUPPRESSIONS": [
        "apisec.W515",
        {"id": "apisec.W515"},
        [{"reason": "no id"}],
        [{"id": "apisec.W515", "reason": 42}],
        [("apisec.W515", "reason")],
        None,
    ],
    "APISEC_API_KEY_SCOPES": ["notes:read", ["*"], ["Notes:Read"], ["a b"], [""], [1], None],
    "APISEC_API_KEY_ROTATION_OVERLAP": ["60", -1, HUGE, None, 1.5, True],
    "APISEC_API_KEY_HTTPS_ONLY": ["False", "yes", 1, 0],
    "APISEC_METRICS_ALLOWED_NETWORKS": ["10.0.0.0/8", ["10.0.0.300/8"], [10], None],
    "APISEC_ATTACK_WINDOW": [59, 86401, "300", True, None],
    "APISEC_ATTACK_THRESHOLDS": [
        {"failures": 1},
        {"failures": 1, "accounts": 1, "networks": 0},
        {"failures": "1", "accounts": 1, "networks": 1},
        [1, 1, 1],
    ],
    "APISEC_ATTACK_TIGHTENING": [
        {"rate": "often", "duration": 60},
        {"rate": "30/min", "duration": 0},
        {"rate": 30, "duration": 60},
        {"rate": "30/min"},
        "30/min",
    ],
    "APISEC_REAUTH_MAX_AGE": ["300", 0, -1, 86401, None, 1.5, True],
    "APISEC_WEBAUTHN_RP_ID": ["", "https://example.com", "Example.com", "192.0.2.1", "a..b", 1],
    "APISEC_WEBAUTHN_RP_NAME": ["", "x" * 65, 7, ["Example"]],
    "APISEC_WEBAUTHN_ORIGINS": [
        "https://example.com",
        ["https://example.com/"],
        ["example.com"],
        ["HTTPS://EXAMPLE.COM"],
        [None],
        None,
    ],
    "APISEC_USER_CACHE_SECONDS": ["30", -1, 301, None, 1.5, True],
}
CASES = [(s, value) for s in SETTINGS for value in GARBAGE[s.name]]


def accessor(setting: conf.Setting[Any]) -> Any:
    """What the callers read: ``apisec_settings.X``."""
    return getattr(apisec_settings, setting.name.removeprefix("APISEC_"))


def test_every_setting_has_garbage_and_an_accessor() -> None:
    assert [s.name for s in SETTINGS] == list(GARBAGE)
    accessors = [n for n, v in vars(conf.ApisecSettings).items() if isinstance(v, property)]
    assert sorted(f"APISEC_{n}" for n in accessors) == sorted(GARBAGE)


def test_one_id_per_setting() -> None:
    ids = [s.check_id for s in SETTINGS]
    assert len(ids) == len(set(ids))
    assert set(ids) <= set(MESSAGES)
    assert {s.check_id for s in SETTINGS if s.check_id.startswith("apisec.E6")} == {
        m.id for m in checks.UNUSABLE.values()
    }


def test_the_test_settings_and_every_default_are_usable() -> None:
    assert checks.check_settings_usable() == []
    for setting in SETTINGS:
        assert setting.accepts(setting.default), setting.name


@pytest.mark.parametrize(("setting", "value"), CASES, ids=[f"{s.name}={v!r}" for s, v in CASES])
def test_garbage_is_reported_by_check_and_never_raises(
    setting: conf.Setting[Any], value: Any
) -> None:
    with override_settings(**{setting.name: value}):
        fallback = accessor(setting)  # never raises
        ids = {m.id for m in checks.check_settings_usable()}
        stderr = io.StringIO()
        with pytest.raises(SystemCheckError) as failure:
            call_command("check", stdout=io.StringIO(), stderr=stderr)
    # The setting's own id, from plain `check` (not only --deploy), and nothing else of ours.
    assert setting.check_id in str(failure.value)
    assert "Traceback" not in str(failure.value) + stderr.getvalue()
    if setting.check_id.startswith("apisec.E6"):
        assert ids == {setting.check_id}
    # The value in use is the fail-closed fallback.
    assert fallback == setting.fallback_value()


def test_a_lazy_value_that_raises_is_unusable_not_a_crash() -> None:
    def broken() -> str:
        raise RuntimeError

    with override_settings(APISEC_CACHE=SimpleLazyObject(broken)):
        # Django raises from the second read on: both reads are covered.
        assert apisec_settings.CACHE == "default"
        assert apisec_settings.CACHE == "default"
        messages = checks.check_settings_usable()
    assert [m.id for m in messages] == ["apisec.E603"]
    assert "is a value that raises when read (Unreadable)" in messages[0].msg


def test_a_repr_that_raises_shows_the_type() -> None:
    class Weird:
        def __repr__(self) -> str:
            raise RuntimeError

    with override_settings(APISEC_CACHE=Weird()):
        (message,) = checks.check_settings_usable()
    assert "APISEC_CACHE is a Weird (Weird)" in message.msg


def test_the_message_shows_the_value_and_what_is_used_instead() -> None:
    with override_settings(APISEC_JSON_MAX_DEPTH="8"):
        (message,) = checks.check_settings_usable()
    assert message.msg.startswith("APISEC_JSON_MAX_DEPTH is '8' (str), which django_apisec")
    assert "uses 32 instead" in message.msg
    assert "int()" in message.hint
    assert message.hint.startswith("Set APISEC_JSON_MAX_DEPTH to a positive int")


def test_a_long_value_is_shortened() -> None:
    with override_settings(APISEC_CACHE=["x" * 500]):
        (message,) = checks.check_settings_usable()
    assert "x" * 100 not in message.msg
    assert "...' (list)" not in message.msg
    assert "... (list)" in message.msg


def test_previous_keys_are_never_shown() -> None:
    key = "old-signing-key-" + "k" * 40
    with override_settings(APISEC_JWT_PREVIOUS_KEYS=[key, 42]):
        (message,) = checks.check_settings_usable()
        assert apisec_settings.JWT_PREVIOUS_KEYS == []
    assert key not in message.msg + message.hint
    assert "a list (value not shown)" in message.msg


def test_trusted_proxies_type_is_e410_with_the_same_rule() -> None:
    with override_settings(APISEC_TRUSTED_PROXIES=42):
        assert apisec_settings.TRUSTED_PROXIES == []
        assert checks.check_settings_usable() == []  # E410 (checks/proxies.py) reports it


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), (True, True), (False, False)],
)
def test_cookie_secure_none_follows_the_profile(value: object, expected: bool) -> None:
    # tests/settings.py is the development profile.
    with override_settings(APISEC_JWT_COOKIE_SECURE=value):
        assert apisec_settings.JWT_COOKIE_SECURE is expected
        with override_settings(APISEC_PROFILE="production"):
            assert apisec_settings.JWT_COOKIE_SECURE is (expected or value is None)


def test_unusable_values_fail_closed() -> None:
    garbage = {"APISEC_JWT_COOKIE_SECURE": "False", "APISEC_JWT_FINGERPRINT": "yes"}
    with override_settings(APISEC_PROFILE="nonsense", APISEC_API_PREFIX=42, **garbage):
        assert apisec_settings.PROFILE == "production"
        assert apisec_settings.API_PREFIX == "/"
        assert apisec_settings.JWT_COOKIE_SECURE is True
        assert apisec_settings.JWT_FINGERPRINT is True
    with override_settings(APISEC_MAX_BODY_SIZE="5000", DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        assert apisec_settings.MAX_BODY_SIZE == 1000


@pytest.mark.django_db
def test_attack_every_setting_garbage_at_once_requests_still_work() -> None:
    # One unusable value for every setting (except those that would change what is tested:
    # the profile, the prefix, the cookie flags): login, an API call and a refresh never 500.
    kept = {"APISEC_PROFILE", "APISEC_API_PREFIX", "APISEC_JWT_COOKIE_SECURE"}
    kept |= {"APISEC_JWT_FINGERPRINT", "APISEC_HARDENING_REPORT"}
    garbage = {s.name: GARBAGE[s.name][0] for s in SETTINGS if s.name not in kept}
    get_user_model().objects.create_user("mallory", password="correct horse battery staple")
    client = APIClient()
    with override_settings(**garbage):
        login = client.post(
            "/api/auth/login/",
            {"username": "mallory", "password": "correct horse battery staple"},
            format="json",
        )
        assert login.status_code == 200, login.content
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.data['access']}")
        assert client.get("/api/me/").status_code == 200
        assert client.get("/api/notes/?page_size=1000000").status_code == 200
        assert client.post("/api/auth/refresh/", {}, format="json").status_code == 200
        wrong = {"username": "mallory", "password": "wrong"}
        statuses = {client.post("/api/auth/login/", wrong, format="json").status_code}
    assert statuses <= {401, 429}


# --- production bounds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "within", "beyond", "expected"),
    [
        ("APISEC_MAX_BODY_SIZE", 10 * 1024**2, 10 * 1024**2 + 1, "apisec.E651"),
        ("APISEC_JSON_MAX_DEPTH", 64, 65, "apisec.E652"),
        ("APISEC_JSON_MAX_ITEMS", 100_000, 100_001, "apisec.E653"),
        ("APISEC_MAX_PAGE_SIZE", 1000, 1001, "apisec.E654"),
        ("APISEC_JWT_SESSION_MAX_AGE", timedelta(days=90), 90 * 86400 + 1, "apisec.E655"),
        ("APISEC_JWT_REUSE_GRACE_SECONDS", 60, 61, "apisec.E657"),
        ("APISEC_TRUSTED_DEVICE_AGE", 90 * 86400, 90 * 86400 + 1, "apisec.E658"),
        ("APISEC_LOCKOUT_THRESHOLD", 25, 26, "apisec.E656"),
        ("APISEC_JWT_COOKIE_SECURE", True, False, "apisec.E650"),
    ],
)
def test_each_bound_is_inclusive(name: str, within: Any, beyond: Any, expected: str) -> None:
    functions = (
        checks.check_jwt_cookie_secure,
        checks.check_body_bounds,
        checks.check_session_bounds,
        checks.check_lockout_rate,
        checks.check_trusted_device_age,
    )

    def deploy_ids(value: Any) -> set[str]:
        # The test settings are the development profile: cookies Secure unless the row says not.
        with override_settings(**{"APISEC_JWT_COOKIE_SECURE": True, name: value}):
            return {m.id for f in functions for m in f()}

    assert deploy_ids(within) == set()
    assert deploy_ids(beyond) == {expected}


def test_the_body_limit_names_its_source() -> None:
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=11 * 1024**2):
        (message,) = checks.check_body_bounds()
    assert "from DATA_UPLOAD_MAX_MEMORY_SIZE" in message.msg
    with override_settings(APISEC_MAX_BODY_SIZE=11 * 1024**2):
        (message,) = checks.check_body_bounds()
    assert "from APISEC_MAX_BODY_SIZE" in message.msg


@pytest.mark.parametrize(
    ("threshold", "window", "periods", "expected"),
    [
        (5, 3600, conf.DEFAULT_LOCKOUT_PERIODS, 20),  # 5 at 0 s, 1 min, 6 min, 21 min
        (25, 3600, conf.DEFAULT_LOCKOUT_PERIODS, 100),
        (26, 3600, conf.DEFAULT_LOCKOUT_PERIODS, 104),
        (5, 60, (60,), 300),  # one lock a minute
        (5, 60, (86400,), 5 + 59 * 4),  # 4 a minute unlocked, then a locking round
        (100, 3600, (3600,), 100),
        (101, 86400, (86400,), 101),
        (1, 1, (1,), 3600),
    ],
)
def test_failed_logins_per_hour(
    threshold: int, window: int, periods: tuple[int, ...], expected: int
) -> None:
    assert checks.failed_logins_per_hour(threshold, window, periods) == expected


def simulate(
    threshold: int, window: int, periods: tuple[int, ...], rounds: tuple[bool, ...]
) -> int:
    """Failed logins of a sequence of rounds (True: a locking round), each starting in the hour."""
    elapsed = attempts = locks = 0
    for locking in rounds:
        if elapsed >= checks.HOUR:
            break
        if locking:
            attempts += threshold
            elapsed += periods[min(locks, len(periods) - 1)]
            locks += 1
        else:
            attempts += threshold - 1
            elapsed += window
    return attempts


@pytest.mark.parametrize(
    ("threshold", "window", "periods"),
    [
        (5, 1200, (600, 1800)),
        (3, 900, (300, 300, 7200)),
        (10, 2000, (100, 5000)),
        (2, 700, (3000,)),
    ],
)
def test_failed_logins_per_hour_is_the_best_attack(
    threshold: int, window: int, periods: tuple[int, ...]
) -> None:
    # Every order of up to 8 rounds, locking or not: none beats the computed count.
    best = max(
        simulate(threshold, window, periods, rounds)
        for length in range(1, 9)
        for rounds in itertools.product((True, False), repeat=length)
    )
    assert checks.failed_logins_per_hour(threshold, window, periods) == best
