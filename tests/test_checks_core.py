"""Django core checks, the basics (E001-E003, E031-E033, E036-E040), and what holds for all 0xx.

Each insecure setting, alone, yields exactly its id; every 0xx check is registered, documented
and never crashes on an unusual value.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
from django.core.checks.registry import registry as django_registry
from django.test import override_settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy

from django_apisec.checks import core
from django_apisec.checks.registry import MESSAGES
from tests.checks_support import check_functions, each_insecure_setting_alone, run_core
from tests.conftest import PRODUCTION_ENV, ROOT

if TYPE_CHECKING:
    from tests.conftest import DeployIds


def core_ids(ids: set[str]) -> set[str]:
    """The ids of this module's hundred."""
    return {i for i in ids if i.startswith(("apisec.E0", "apisec.W0"))}


# --- The production baseline and the breaking table -------------------------------------------


def test_production_settings_pass(deploy_ids: DeployIds) -> None:
    # Running as root on CI machines is reported as a warning, never an error.
    assert {i for i in deploy_ids() if ".E" in i} == set()
    assert core_ids(deploy_ids()) <= {"apisec.W037"}


BREAKING_TABLE: list[Any] = [
    ({"DEBUG": True}, "apisec.E001"),
    ({"SECRET_KEY": "django-insecure-" + "x1y2z3" * 10}, "apisec.E002"),
    ({"SECRET_KEY": "short"}, "apisec.E002"),
    ({"SECRET_KEY": "ab" * 40}, "apisec.E002"),
    ({"ALLOWED_HOSTS": ["*"]}, "apisec.E003"),
    ({"DATA_UPLOAD_MAX_MEMORY_SIZE": None}, "apisec.E031"),
    ({"DATA_UPLOAD_MAX_NUMBER_FIELDS": None}, "apisec.E032"),
    ({"DATA_UPLOAD_MAX_NUMBER_FILES": None}, "apisec.E033"),
    ({"DEBUG_PROPAGATE_EXCEPTIONS": True}, "apisec.E036"),
    ({"SECRET_KEY_FALLBACKS": ["old-short-key"]}, "apisec.E038"),
    ({"SECRET_KEY_FALLBACKS": "x" * 64}, "apisec.E038"),
    ({"CSRF_TRUSTED_ORIGINS": ["http://app.example.com"]}, "apisec.W039"),
    ({"CSRF_TRUSTED_ORIGINS": ["*"]}, "apisec.E040"),
    ({"CSRF_TRUSTED_ORIGINS": ["https://*"]}, "apisec.E040"),
    ({"CSRF_TRUSTED_ORIGINS": ["https://*.com"]}, "apisec.E040"),
    ({"ALLOWED_HOSTS": []}, "apisec.E042"),
    ({"ALLOWED_HOSTS": [""]}, "apisec.E042"),
]

test_each_insecure_setting_alone = each_insecure_setting_alone(BREAKING_TABLE)


def test_running_as_root(deploy_ids: DeployIds, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    baseline = deploy_ids()
    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
    assert deploy_ids() - baseline == {"apisec.W037"}


def test_no_geteuid_means_no_root_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "geteuid", raising=False)
    assert core.check_not_root() == []


# --- check --deploy as a user runs it ------------------------------------------------------------


def run_check_deploy(**env: str) -> subprocess.CompletedProcess[str]:
    """``python testproject/manage.py check --deploy`` with production env plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "APISEC_"))}
    return subprocess.run(
        [sys.executable, str(ROOT / "testproject" / "manage.py"), "check", "--deploy"],
        env={**clean, **PRODUCTION_ENV, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_exits_zero_on_production_settings() -> None:
    result = run_check_deploy()
    assert result.returncode == 0, result.stderr
    assert "apisec.E" not in result.stderr


def test_check_deploy_exits_non_zero_on_an_insecure_setting() -> None:
    result = run_check_deploy(DJANGO_ALLOWED_HOSTS="*")
    assert result.returncode == 1
    assert "apisec.E003" in result.stderr


# --- ALLOWED_HOSTS ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "hosts", "ids"),
    [
        ("production", [], ["apisec.E042"]),
        ("production", "", ["apisec.E042"]),
        ("production", ["", ""], ["apisec.E042"]),
        ("production", ["api.example.com"], []),
        ("production", ["*"], ["apisec.E003"]),
        # Development serves localhost: with DEBUG on Django allows it even when the list is empty.
        ("development", [], []),
    ],
)
def test_allowed_hosts(profile: str, hosts: object, ids: list[str]) -> None:
    with override_settings(APISEC_PROFILE=profile, ALLOWED_HOSTS=hosts):
        assert [m.id for m in core.check_allowed_hosts()] == ids


# --- Values settings.py sets itself, hiding harden()'s (the startproject case) ----------------

INSECURE_KEY = "django-insecure-" + "q7#x" * 12


@pytest.mark.parametrize(
    ("environment", "source", "opening"),
    [
        # startproject's literal, with DJANGO_SECRET_KEY set: the user is told the variable is
        # ignored, and which line hides it.
        ("e" * 64, "project", "DJANGO_SECRET_KEY is set but ignored: settings.py sets SECRET_KEY"),
        (None, "project", "settings.py sets SECRET_KEY itself"),
        # SECRET_KEY = os.environ["DJANGO_SECRET_KEY"] reads the weak variable itself.
        (INSECURE_KEY, "project", "Set DJANGO_SECRET_KEY"),
        (INSECURE_KEY, "environment", "Set DJANGO_SECRET_KEY"),
        (None, "environment", "Set DJANGO_SECRET_KEY"),
    ],
)
def test_secret_key_hint_names_the_line_that_hides_the_environment(
    monkeypatch: pytest.MonkeyPatch, environment: str | None, source: str, opening: str
) -> None:
    if environment is None:
        monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("DJANGO_SECRET_KEY", environment)
    report = {"SECRET_KEY": source}
    with override_settings(SECRET_KEY=INSECURE_KEY, APISEC_HARDENING_REPORT=report):
        (message,) = core.check_secret_key()
    assert message.id == "apisec.E002"
    assert message.hint.startswith(opening)
    assert "django-insecure-" in message.msg
    assert ("from settings.py" in message.hint) is opening.startswith(("DJANGO", "sett"))
    # The hint never prints either key.
    assert INSECURE_KEY not in message.hint
    assert (environment or INSECURE_KEY) not in message.hint


@pytest.mark.parametrize(("source", "shadowed"), [("project", True), ("profile", False)])
def test_debug_hint_names_the_line_in_settings_py(source: str, shadowed: bool) -> None:
    with override_settings(DEBUG=True, APISEC_HARDENING_REPORT={"DEBUG": source}):
        (message,) = core.check_debug()
    assert message.id == "apisec.E001"
    assert ("settings.py sets DEBUG itself" in message.hint) is shadowed
    assert message.hint.endswith(
        "Set DEBUG = False (harden(profile='production') does unless the project sets it)."
    )


# --- Secrets and CSRF origins ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fallbacks", "where"),
    [
        (["k" * 10, "Kx9-aB3_zQ7!" * 5, b"short"], ["[0]", "[2]"]),
        (("django-insecure-" + "abcdef" * 10,), ["[0]"]),
        ("", []),
        (None, []),
        (42, []),
        (b"y" * 60, ["SECRET_KEY_FALLBACKS is weak"]),
    ],
)
def test_secret_key_fallbacks(fallbacks: object, where: list[str]) -> None:
    with override_settings(SECRET_KEY_FALLBACKS=fallbacks):
        messages = core.check_secret_key_fallbacks()
    assert len(messages) == len(where)
    for message, fragment in zip(messages, where, strict=True):
        assert fragment in message.msg
    # The weak key itself never appears in the message.
    assert all("kkkkkkkkkk" not in m.msg for m in messages)


@pytest.mark.parametrize(
    ("origins", "ids"),
    [
        (["http://localhost:8000", "http://127.0.0.1", "http://[::1]:3000"], []),
        (["http://app.localhost", "HTTPS://api.example.com", "https://*.example.com"], []),
        (["http://[not-closed"], ["apisec.W039"]),
        (["http://*"], ["apisec.E040"]),
        (["HTTP://api.example.com", 7, None], ["apisec.W039"]),
        ("https://*.org", ["apisec.E040"]),
        (42, []),
    ],
)
def test_csrf_trusted_origins(origins: object, ids: list[str]) -> None:
    with override_settings(CSRF_TRUSTED_ORIGINS=origins):
        assert [m.id for m in core.check_csrf_trusted_origins()] == ids


def test_wildcard_origin_message_says_what_it_trusts() -> None:
    with override_settings(CSRF_TRUSTED_ORIGINS=["https://*.com", "*"]):
        messages = core.check_csrf_trusted_origins()
    assert "every site under the top-level domain .com" in messages[0].msg
    assert "every origin" in messages[1].msg


# --- Unusual configuration never crashes a check -----------------------------------------------

SETTINGS_READ = [
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_DOMAIN",
    "SESSION_COOKIE_PATH",
    "CSRF_USE_SESSIONS",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE",
    "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_DOMAIN",
    "CSRF_COOKIE_PATH",
    "LANGUAGE_COOKIE_NAME",
    "LANGUAGE_COOKIE_DOMAIN",
    "LANGUAGE_COOKIE_PATH",
    "LANGUAGE_COOKIE_SECURE",
    "MIDDLEWARE",
    "X_FRAME_OPTIONS",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SECURE_CSP",
    "SECURE_CSP_REPORT_ONLY",
    "PASSWORD_HASHERS",
    "AUTH_PASSWORD_VALIDATORS",
    "DATA_UPLOAD_MAX_MEMORY_SIZE",
    "DATA_UPLOAD_MAX_NUMBER_FIELDS",
    "DATA_UPLOAD_MAX_NUMBER_FILES",
    "DEBUG_PROPAGATE_EXCEPTIONS",
    "SECRET_KEY_FALLBACKS",
    "CSRF_TRUSTED_ORIGINS",
]

WEIRD_VALUES = [
    None,
    0,
    -1,
    3.5,
    True,
    "",
    "a string",
    b"bytes",
    [None, 1, object()],
    ("*", "http://[bad"),
    {"key": object()},
    lambda: "called",
    object(),
    gettext_lazy("lazy text"),
    SimpleLazyObject(lambda: "lazy object"),
    SimpleLazyObject(lambda: ["lazy", "list"]),
]


@pytest.mark.parametrize("name", SETTINGS_READ)
@pytest.mark.parametrize("value", WEIRD_VALUES, ids=lambda v: type(v).__name__)
def test_unusual_values_never_crash(
    name: str, value: object, production_settings: dict[str, Any]
) -> None:
    # On the production settings, so that checks guarded by a feature being on also run.
    applied = {k: v for k, v in production_settings.items() if k in SETTINGS_READ}
    assert isinstance(run_core(**{**applied, name: value}), list)


CONFIG_CHECKS = {
    "check_host_cookie_scope",
    "check_first_hasher_library",
    "check_password_hashers_load",
}


def test_every_core_check_is_registered() -> None:
    every_check = set(django_registry.get_checks(include_deployment_checks=True))
    without_deploy = set(django_registry.get_checks(include_deployment_checks=False))
    functions = check_functions()
    for name, function in functions.items():
        assert function in every_check
        # Broken configurations fail at request time: they are reported by every `check`.
        assert (function in without_deploy) is (name in CONFIG_CHECKS)
        assert function.__doc__
        assert function.__doc__.startswith("apisec.")
    documented = {
        f"apisec.{word.strip(',:')}"
        for f in functions.values()
        for word in (f.__doc__ or "").split(":")[0].replace("apisec.", "").split()
    }
    assert documented == {i for i in MESSAGES if i.startswith(("apisec.E0", "apisec.W0"))}


def test_every_core_id_is_documented_once() -> None:
    text = (ROOT / "docs" / "checks" / "core.rst").read_text()
    headings = [line.split(" ", 1)[0] for line in text.splitlines() if line.startswith("apisec.")]
    assert sorted(headings) == sorted(
        i for i in MESSAGES if i.startswith(("apisec.E0", "apisec.W0"))
    )
