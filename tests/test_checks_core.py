"""Django core checks: each insecure setting, alone, yields exactly its id."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    BasePasswordHasher,
    PBKDF2PasswordHasher,
    PBKDF2SHA1PasswordHasher,
)
from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core.checks.registry import registry as django_registry
from django.test import override_settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy

from django_apisec import hardening
from django_apisec.checks import cookies, core, headers, passwords, transport
from django_apisec.checks.registry import MESSAGES
from tests.conftest import PRODUCTION_ENV, ROOT, DeployIds

if TYPE_CHECKING:
    from collections.abc import Callable

HERE = __name__
ARGON2 = hardening.ARGON2_HASHER
MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"
MIN_LENGTH = "django.contrib.auth.password_validation.MinimumLengthValidator"
COMMON = "django.contrib.auth.password_validation.CommonPasswordValidator"


# --- Hashers the tests configure by dotted path -------------------------------------------------


class SHA1Hasher(BasePasswordHasher):
    """Stands in for Django's removed SHA1PasswordHasher (still found in old projects)."""

    algorithm = "sha1"


class UnsaltedMD5Hasher(BasePasswordHasher):
    """Stands in for Django's removed UnsaltedMD5PasswordHasher."""

    algorithm = "unsalted_md5"


class CryptHasher(BasePasswordHasher):
    """Stands in for Django's removed CryptPasswordHasher."""

    algorithm = "crypt"


class OnePassArgon2Hasher(Argon2PasswordHasher):
    """One pass needs 47104 KiB (OWASP); 19456 KiB is only enough with two."""

    time_cost = 1
    memory_cost = 19456
    parallelism = 1


class OwaspMinimumArgon2Hasher(Argon2PasswordHasher):
    """Exactly OWASP's first row: m=47104 KiB, t=1, p=1."""

    time_cost = 1
    memory_cost = 47104
    parallelism = 1


class ManyPassesArgon2Hasher(Argon2PasswordHasher):
    """More than five passes: OWASP's last row (7168 KiB) applies."""

    time_cost = 8
    memory_cost = 7168
    parallelism = 1


class ZeroPassArgon2Hasher(Argon2PasswordHasher):
    """Invalid parameters: argon2 needs at least one pass and one lane."""

    time_cost = 0


class ComputedArgon2Hasher(Argon2PasswordHasher):
    """Parameters computed at run time cannot be judged statically."""

    time_cost = property(lambda self: 3)  # type: ignore[assignment]


class FewIterationsPBKDF2Hasher(PBKDF2PasswordHasher):
    """A project that lowered PBKDF2's work factor to speed up its tests, in production."""

    iterations = 100_000


class SHA1PBKDF2Hasher(PBKDF2SHA1PasswordHasher):
    """PBKDF2-SHA1 needs 1,300,000 iterations (OWASP)."""

    iterations = 1_000_000


class SHA512PBKDF2Hasher(PBKDF2PasswordHasher):
    """PBKDF2-SHA512 needs 210,000 iterations (OWASP)."""

    algorithm = "pbkdf2_sha512"
    digest = hashlib.sha512
    iterations = 210_000


class BrokenDigestPBKDF2Hasher(PBKDF2PasswordHasher):
    """A digest that cannot be inspected: judged as SHA-256."""

    algorithm = "pbkdf2_broken"
    digest = None  # type: ignore[assignment]
    iterations = 100_000


class UnknownIterationsPBKDF2Hasher(PBKDF2PasswordHasher):
    """Iterations computed at run time cannot be judged statically."""

    iterations = property(lambda self: 1)  # type: ignore[assignment]


class MissingLibraryHasher(BasePasswordHasher):
    """Declares its library as (name, module path), as BCrypt does."""

    algorithm = "missing_library"
    library = ("missing", "apisec_tests_no_such_module")


class MissingStringLibraryHasher(BasePasswordHasher):
    """Declares its library as a plain module path, as Argon2 does."""

    algorithm = "missing_string_library"
    library = "apisec_tests_no_such_module"


class LongMinimumLengthValidator(MinimumLengthValidator):
    """A project's own subclass still counts as a length validator."""

    def __init__(self, min_length: int = 16) -> None:
        super().__init__(min_length)


def path(obj: type[Any]) -> str:
    """The dotted path of a class defined in this module."""
    return f"{HERE}.{obj.__name__}"


def without(middleware: str) -> Callable[[dict[str, Any]], list[str]]:
    """Production MIDDLEWARE minus one entry (resolved when the row runs)."""
    return lambda production: [m for m in production["MIDDLEWARE"] if m != middleware]


def replaced(old: str, new: str) -> Callable[[dict[str, Any]], list[str]]:
    """Production MIDDLEWARE with one entry swapped for another."""
    return lambda production: [new if m == old else m for m in production["MIDDLEWARE"]]


def csp_with(directive: str, *sources: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Production SECURE_CSP with one directive replaced."""
    return lambda production: {**production["SECURE_CSP"], directive: list(sources)}


def validators_with_min_length(min_length: int) -> list[dict[str, Any]]:
    """Django's validators with a given MinimumLengthValidator length."""
    return [
        {"NAME": MIN_LENGTH, "OPTIONS": {"min_length": min_length}},
        {"NAME": COMMON},
    ]


def check_functions() -> dict[str, Callable[..., list[Any]]]:
    """Every 0xx check function, by name."""
    modules = (core, transport, cookies, headers, passwords)
    return {
        name: function
        for module in modules
        for name, function in vars(module).items()
        if name.startswith("check_")
    }


def core_ids(ids: set[str]) -> set[str]:
    """The ids of this module's hundred."""
    return {i for i in ids if i.startswith(("apisec.E0", "apisec.W0"))}


def run_core(**overrides: Any) -> list[Any]:
    """Every core check function's messages under ``overrides`` (on the test settings)."""
    functions = list(check_functions().values())
    with override_settings(**overrides):
        return [message for function in functions for message in function()]


def ids_of(**overrides: Any) -> set[str]:
    """The core ids ``overrides`` produce on the test settings."""
    return {m.id for m in run_core(**overrides)}


# --- The production baseline and the breaking table -------------------------------------------


def test_production_settings_pass(deploy_ids: DeployIds) -> None:
    # Running as root on CI machines is reported as a warning, never an error.
    assert {i for i in deploy_ids() if ".E" in i} == set()
    assert core_ids(deploy_ids()) <= {"apisec.W037"}


NEEDS_BUILTIN_CSP = pytest.mark.skipif(
    not hardening.django_has_builtin_csp(), reason="Django < 6.0 has no CSP middleware of its own"
)

BREAKING_TABLE: list[Any] = [
    ({"DEBUG": True}, "apisec.E001"),
    ({"SECRET_KEY": "django-insecure-" + "x1y2z3" * 10}, "apisec.E002"),
    ({"SECRET_KEY": "short"}, "apisec.E002"),
    ({"SECRET_KEY": "ab" * 40}, "apisec.E002"),
    ({"ALLOWED_HOSTS": ["*"]}, "apisec.E003"),
    ({"SECURE_SSL_REDIRECT": False}, "apisec.E004"),
    ({"SECURE_HSTS_SECONDS": 0}, "apisec.E005"),
    ({"SECURE_HSTS_SECONDS": 3600}, "apisec.E005"),
    ({"SECURE_HSTS_INCLUDE_SUBDOMAINS": False}, "apisec.W006"),
    ({"SECURE_HSTS_PRELOAD": False}, "apisec.W007"),
    ({"SESSION_COOKIE_SECURE": False}, "apisec.E008"),
    ({"CSRF_COOKIE_SECURE": False}, "apisec.E009"),
    ({"SESSION_COOKIE_HTTPONLY": False}, "apisec.E010"),
    ({"SESSION_COOKIE_SAMESITE": None}, "apisec.E011"),
    ({"SESSION_COOKIE_SAMESITE": "None"}, "apisec.E011"),
    ({"SESSION_COOKIE_SAMESITE": "Loose"}, "apisec.E011"),
    ({"CSRF_COOKIE_SAMESITE": None}, "apisec.W012"),
    ({"CSRF_COOKIE_SAMESITE": "None"}, "apisec.W012"),
    ({"SESSION_COOKIE_NAME": "sessionid"}, "apisec.W013"),
    ({"CSRF_COOKIE_NAME": "csrftoken"}, "apisec.W013"),
    ({"SESSION_COOKIE_DOMAIN": ".example.com"}, "apisec.E014"),
    ({"SESSION_COOKIE_PATH": "/api/"}, "apisec.E014"),
    ({"CSRF_COOKIE_DOMAIN": ".example.com"}, "apisec.E014"),
    ({"LANGUAGE_COOKIE_SECURE": False}, "apisec.W015"),
    ({"MIDDLEWARE": without(hardening.SECURITY_MIDDLEWARE)}, "apisec.E016"),
    ({"MIDDLEWARE": without(hardening.XFRAME_MIDDLEWARE)}, "apisec.E017"),
    ({"X_FRAME_OPTIONS": "ALLOW-FROM https://evil.example"}, "apisec.E017"),
    ({"X_FRAME_OPTIONS": "SAMEORIGIN"}, "apisec.W018"),
    ({"SECURE_CONTENT_TYPE_NOSNIFF": False}, "apisec.E019"),
    ({"SECURE_REFERRER_POLICY": None}, "apisec.W020"),
    ({"SECURE_REFERRER_POLICY": "unsafe-url"}, "apisec.W020"),
    ({"SECURE_REFERRER_POLICY": "no-referrer-when-downgrade"}, "apisec.W020"),
    ({"SECURE_CROSS_ORIGIN_OPENER_POLICY": None}, "apisec.W021"),
    ({"SECURE_CROSS_ORIGIN_OPENER_POLICY": "unsafe-none"}, "apisec.W021"),
    ({"MIDDLEWARE": without(hardening.csp_middleware())}, "apisec.W022"),
    ({"SECURE_CSP": {}}, "apisec.W022"),
    ({"SECURE_CSP": None}, "apisec.W022"),
    ({"SECURE_CSP": csp_with("script-src", "'self'", "'unsafe-inline'")}, "apisec.W023"),
    ({"SECURE_CSP": csp_with("script-src", "'self'", "'unsafe-eval'")}, "apisec.W023"),
    ({"SECURE_CSP": csp_with("default-src", "*")}, "apisec.W023"),
    pytest.param(
        {"MIDDLEWARE": replaced(hardening.DJANGO_CSP_MIDDLEWARE, hardening.APISEC_CSP_MIDDLEWARE)},
        "apisec.W024",
        marks=NEEDS_BUILTIN_CSP,
    ),
    ({"PASSWORD_HASHERS": [MD5, ARGON2]}, "apisec.E025"),
    ({"PASSWORD_HASHERS": [path(SHA1Hasher), ARGON2]}, "apisec.E025"),
    ({"PASSWORD_HASHERS": [path(UnsaltedMD5Hasher), ARGON2]}, "apisec.E025"),
    ({"PASSWORD_HASHERS": [path(CryptHasher), ARGON2]}, "apisec.E025"),
    ({"PASSWORD_HASHERS": [ARGON2, MD5]}, "apisec.W026"),
    ({"PASSWORD_HASHERS": [path(OnePassArgon2Hasher), ARGON2]}, "apisec.E027"),
    ({"PASSWORD_HASHERS": [path(FewIterationsPBKDF2Hasher), ARGON2]}, "apisec.E028"),
    ({"PASSWORD_HASHERS": [path(MissingLibraryHasher), ARGON2]}, "apisec.E029"),
    (
        {"PASSWORD_HASHERS": [ARGON2, "django.contrib.auth.hashers.SHA1PasswordHasher"]},
        "apisec.E030",
    ),
    ({"PASSWORD_HASHERS": []}, "apisec.E030"),
    ({"DATA_UPLOAD_MAX_MEMORY_SIZE": None}, "apisec.E031"),
    ({"DATA_UPLOAD_MAX_NUMBER_FIELDS": None}, "apisec.E032"),
    ({"DATA_UPLOAD_MAX_NUMBER_FILES": None}, "apisec.E033"),
    ({"AUTH_PASSWORD_VALIDATORS": []}, "apisec.E034"),
    ({"AUTH_PASSWORD_VALIDATORS": [{"NAME": COMMON}]}, "apisec.W035"),
    ({"AUTH_PASSWORD_VALIDATORS": validators_with_min_length(8)}, "apisec.W035"),
    ({"DEBUG_PROPAGATE_EXCEPTIONS": True}, "apisec.E036"),
    ({"SECRET_KEY_FALLBACKS": ["old-short-key"]}, "apisec.E038"),
    ({"SECRET_KEY_FALLBACKS": "x" * 64}, "apisec.E038"),
    ({"CSRF_TRUSTED_ORIGINS": ["http://app.example.com"]}, "apisec.W039"),
    ({"CSRF_TRUSTED_ORIGINS": ["*"]}, "apisec.E040"),
    ({"CSRF_TRUSTED_ORIGINS": ["https://*"]}, "apisec.E040"),
    ({"CSRF_TRUSTED_ORIGINS": ["https://*.com"]}, "apisec.E040"),
]


def _row_id(value: Any) -> str:
    if isinstance(value, dict):
        return ",".join(f"{k}={getattr(v, '__name__', v)!r}"[:60] for k, v in value.items())
    return str(value)


@pytest.mark.parametrize(("overrides", "expected"), BREAKING_TABLE, ids=_row_id)
def test_each_insecure_setting_alone(
    deploy_ids: DeployIds,
    production_settings: dict[str, Any],
    overrides: dict[str, Any],
    expected: str,
) -> None:
    resolved = {k: v(production_settings) if callable(v) else v for k, v in overrides.items()}
    baseline = deploy_ids()
    assert deploy_ids(**resolved) - baseline == {expected}
    assert MESSAGES[expected].id == expected


def test_argon2_without_its_library(deploy_ids: DeployIds) -> None:
    baseline = deploy_ids()
    # None in sys.modules makes `import argon2` fail as if argon2-cffi were not installed.
    with mock.patch.dict(sys.modules, {"argon2": None}):
        assert deploy_ids() - baseline == {"apisec.E029"}


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


# --- Details of each check ---------------------------------------------------------------------


def test_hsts_off_reports_only_its_length() -> None:
    ids = ids_of(
        SECURE_HSTS_SECONDS=0,
        SECURE_HSTS_INCLUDE_SUBDOMAINS=False,
        SECURE_HSTS_PRELOAD=False,
    )
    assert {"apisec.W006", "apisec.W007"} & ids == set()
    assert "apisec.E005" in ids


@pytest.mark.parametrize(
    ("seconds", "text"),
    [("abc", "not a number"), (True, "not a number"), (0, "HSTS is off"), (-5, "is -5")],
)
def test_hsts_seconds_reasons(seconds: object, text: str) -> None:
    with override_settings(SECURE_HSTS_SECONDS=seconds):
        (message,) = transport.check_hsts_seconds()
    assert message.id == "apisec.E005"
    assert text in message.msg


def test_hsts_seconds_as_digits_string_is_accepted() -> None:
    with override_settings(SECURE_HSTS_SECONDS=str(hardening.ONE_YEAR)):
        assert transport.check_hsts_seconds() == []


def test_session_cookie_not_judged_without_sessions() -> None:
    insecure = {
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_HTTPONLY": False,
        "SESSION_COOKIE_SAMESITE": "None",
        "SESSION_COOKIE_NAME": "sessionid",
    }
    middleware = [hardening.SECURITY_MIDDLEWARE]
    with mock.patch.object(cookies.apps, "is_installed", return_value=False):
        unused = ids_of(MIDDLEWARE=middleware, **insecure)
        used = ids_of(MIDDLEWARE=[*middleware, cookies.SESSION_MIDDLEWARE], **insecure)
    assert {"apisec.E008", "apisec.E010", "apisec.E011"} & unused == set()
    assert {"apisec.E008", "apisec.E010", "apisec.E011"} <= used


def test_csrf_cookie_not_judged_with_csrf_use_sessions() -> None:
    ids = ids_of(
        CSRF_USE_SESSIONS=True,
        CSRF_COOKIE_SECURE=False,
        CSRF_COOKIE_SAMESITE=None,
        CSRF_COOKIE_NAME="__Host-csrftoken",
        CSRF_COOKIE_DOMAIN=".example.com",
        SESSION_COOKIE_NAME="__Host-sessionid",
    )
    assert {"apisec.E009", "apisec.W012", "apisec.E014"} & ids == set()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (False, "no SameSite attribute"),
        ("none", "every cross-site request"),
        (b"Lax", "Django raises ValueError"),
        (42, "Django raises ValueError"),
    ],
)
def test_samesite_reasons(value: object, text: str) -> None:
    with override_settings(SESSION_COOKIE_SAMESITE=value):
        (message,) = cookies.check_session_cookie_samesite()
    assert text in message.msg


@pytest.mark.parametrize("value", ["Lax", "strict", gettext_lazy("Strict")])
def test_samesite_lax_and_strict_pass(value: object) -> None:
    with override_settings(SESSION_COOKIE_SAMESITE=value, CSRF_COOKIE_SAMESITE=value):
        assert cookies.check_session_cookie_samesite() == []
        assert cookies.check_csrf_cookie_samesite() == []


def test_cookie_name_prefix_message_names_the_fix() -> None:
    with override_settings(SESSION_COOKIE_NAME="sid", CSRF_COOKIE_NAME="__Secure-csrftoken"):
        (message,) = cookies.check_cookie_name_prefix()
    assert "SESSION_COOKIE_NAME is 'sid'" in message.msg
    assert "default name" not in message.msg
    assert "__Host-sessionid" in message.hint


def test_cookie_name_prefix_message_names_a_default_name() -> None:
    with override_settings(SESSION_COOKIE_NAME="sessionid", CSRF_COOKIE_NAME="__Host-csrftoken"):
        (message,) = cookies.check_cookie_name_prefix()
    assert "Django's default name" in message.msg


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"SESSION_COOKIE_NAME": "__Secure-sessionid", "SESSION_COOKIE_DOMAIN": ".e.com"}, 0),
        ({"SESSION_COOKIE_NAME": "__host-sessionid", "SESSION_COOKIE_DOMAIN": ".e.com"}, 1),
        ({"SESSION_COOKIE_NAME": "__Host-sessionid", "SESSION_COOKIE_PATH": "/"}, 0),
        ({"LANGUAGE_COOKIE_NAME": "__Host-lang", "LANGUAGE_COOKIE_PATH": "/i18n/"}, 1),
        ({"LANGUAGE_COOKIE_NAME": 7, "LANGUAGE_COOKIE_DOMAIN": ".e.com"}, 0),
    ],
)
def test_host_prefix_scope(overrides: dict[str, Any], expected: int) -> None:
    base = {"SESSION_COOKIE_DOMAIN": None, "SESSION_COOKIE_PATH": "/"}
    with override_settings(**{**base, **overrides}):
        messages = cookies.check_host_cookie_scope()
    assert [m.id for m in messages] == ["apisec.E014"] * expected


def test_host_prefix_message() -> None:
    with override_settings(SESSION_COOKIE_NAME="__Host-s", SESSION_COOKIE_PATH="/api/"):
        (message,) = cookies.check_host_cookie_scope()
    assert "SESSION_COOKIE_PATH is '/api/'" in message.msg
    assert "SESSION_COOKIE_DOMAIN" in message.hint


def test_x_frame_options_of_another_type() -> None:
    middleware = [hardening.XFRAME_MIDDLEWARE]
    with override_settings(MIDDLEWARE=middleware, X_FRAME_OPTIONS=None):
        (message,) = headers.check_x_frame_options()
        assert headers.check_x_frame_options_deny() == []
    assert "X_FRAME_OPTIONS is None" in message.msg


def test_x_frame_options_lower_case_is_valid() -> None:
    with override_settings(MIDDLEWARE=[hardening.XFRAME_MIDDLEWARE], X_FRAME_OPTIONS="deny"):
        assert headers.check_x_frame_options() == []


def test_x_frame_options_sameorigin_without_middleware_is_only_the_missing_header() -> None:
    with override_settings(MIDDLEWARE=[], X_FRAME_OPTIONS="SAMEORIGIN"):
        assert headers.check_x_frame_options_deny() == []
        assert [m.id for m in headers.check_x_frame_options()] == ["apisec.E017"]


@pytest.mark.parametrize(
    ("value", "warned"),
    [
        ("same-origin", False),
        ("no-referrer-when-downgrade, strict-origin-when-cross-origin", False),
        (["strict-origin", "unsafe-url"], True),
        (("no-referrer", 5), False),
        ("", True),
        ([], True),
        (12, False),
    ],
)
def test_referrer_policy_values(value: object, warned: bool) -> None:
    with override_settings(SECURE_REFERRER_POLICY=value):
        assert bool(headers.check_referrer_policy()) is warned


@pytest.mark.parametrize(
    ("value", "warned"),
    [
        ("same-origin", False),
        ("same-origin-allow-popups", False),
        ("", True),
        (" Unsafe-None", True),
    ],
)
def test_cross_origin_opener_policy_values(value: object, warned: bool) -> None:
    with override_settings(SECURE_CROSS_ORIGIN_OPENER_POLICY=value):
        assert bool(headers.check_cross_origin_opener_policy()) is warned


# --- Content-Security-Policy -------------------------------------------------------------------


def csp_settings(**overrides: Any) -> dict[str, Any]:
    """Settings with this Django's CSP middleware and a strict policy."""
    return {
        "MIDDLEWARE": [hardening.SECURITY_MIDDLEWARE, hardening.csp_middleware()],
        "SECURE_CSP": {"default-src": ["'self'"]},
        **overrides,
    }


def test_django_csp_package_counts_as_a_policy() -> None:
    with override_settings(MIDDLEWARE=[headers.DJANGO_CSP_PACKAGE_MIDDLEWARE], SECURE_CSP=None):
        assert headers.check_csp_present() == []
        assert headers.check_csp_sources() == []


def test_report_only_policy_is_not_enforcement() -> None:
    report_only = {"default-src": ["'self'"]}
    with override_settings(**csp_settings(SECURE_CSP={}, SECURE_CSP_REPORT_ONLY=report_only)):
        (message,) = headers.check_csp_present()
    assert "only reports" in message.msg


def test_csp_hint_names_this_djangos_middleware() -> None:
    with override_settings(MIDDLEWARE=[]):
        (message,) = headers.check_csp_present()
    assert hardening.csp_middleware() in message.hint
    assert "SECURE_CSP = {'default-src'" in message.hint


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ({"default-src": "'self' 'unsafe-inline'"}, ["default-src"]),
        ({"script-src": {"'self'", "'UNSAFE-EVAL'"}}, ["script-src"]),
        (
            {"default-src": ["*"], "script-src": ("'unsafe-inline'", "*")},
            ["default-src", "script-src"],
        ),
        ({"default-src": True, "script-src": None}, []),
        ({"default-src": [1, None, "'self'"]}, []),
        ({"default-src": 5}, []),
        ({"style-src": ["'unsafe-inline'"]}, []),
    ],
)
def test_csp_sources(policy: dict[str, Any], expected: list[str]) -> None:
    with override_settings(**csp_settings(SECURE_CSP=policy)):
        messages = headers.check_csp_sources()
    assert [m.msg.rsplit(" in ", 1)[1].split(":")[0] for m in messages] == expected


def test_csp_sources_not_judged_without_csp_middleware() -> None:
    with override_settings(MIDDLEWARE=[], SECURE_CSP={"default-src": ["*"]}):
        assert headers.check_csp_sources() == []


def test_unsafe_sources_are_listed() -> None:
    policy = {"script-src": ["*", "'unsafe-eval'", "'unsafe-inline'"]}
    with override_settings(**csp_settings(SECURE_CSP=policy)):
        (message,) = headers.check_csp_sources()
    assert "'unsafe-inline', 'unsafe-eval', *" in message.msg


@pytest.mark.parametrize("builtin", [True, False])
def test_backport_middleware_by_django_version(builtin: bool) -> None:
    middleware = [hardening.APISEC_CSP_MIDDLEWARE]
    with (
        mock.patch.object(hardening, "django_has_builtin_csp", return_value=builtin),
        override_settings(MIDDLEWARE=middleware, SECURE_CSP={"default-src": ["'self'"]}),
    ):
        assert [m.id for m in headers.check_csp_backport()] == (["apisec.W024"] if builtin else [])
        # The backport sends the policy either way.
        assert headers.check_csp_present() == []


def test_djangos_middleware_path_is_no_policy_on_django_5() -> None:
    middleware = [hardening.DJANGO_CSP_MIDDLEWARE]
    with (
        mock.patch.object(hardening, "django_has_builtin_csp", return_value=False),
        override_settings(MIDDLEWARE=middleware, SECURE_CSP={"default-src": ["'self'"]}),
    ):
        (message,) = headers.check_csp_present()
    assert hardening.APISEC_CSP_MIDDLEWARE in message.msg


# --- Password hashers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hashers", "text"),
    [
        ("django.contrib.auth.hashers.Argon2PasswordHasher", "it is str, not a list"),
        ([ARGON2, 42], "42 is not a dotted path"),
        ([ARGON2, "nodots"], "'nodots' cannot be imported (ImportError"),
        ([ARGON2, "no_such_module.Hasher"], "ModuleNotFoundError"),
        ([ARGON2, "django.contrib.auth.hashers.make_password"], "is not a class"),
        ([ARGON2, "django.contrib.auth.hashers.BasePasswordHasher"], "does not name an algorithm"),
    ],
)
def test_unloadable_hashers(hashers: object, text: str) -> None:
    with override_settings(PASSWORD_HASHERS=hashers):
        (message,) = passwords.check_password_hashers_load()
        # The other hasher checks judge what loads and never raise on the rest.
        assert isinstance(run_core(), list)
    assert text in message.msg


def test_unloadable_first_hasher_is_reported_once() -> None:
    ids = ids_of(PASSWORD_HASHERS=["no_such_module.Hasher", MD5])
    assert "apisec.E030" in ids
    assert {"apisec.E025", "apisec.W026", "apisec.E029"} & ids == set()


def test_weak_fallbacks_each_reported() -> None:
    hashers = [ARGON2, MD5, path(SHA1Hasher), "no_such_module.Hasher"]
    with override_settings(PASSWORD_HASHERS=hashers):
        messages = passwords.check_fallback_hashers()
    assert [m.id for m in messages] == ["apisec.W026", "apisec.W026"]
    assert "(sha1)" in messages[1].msg


@pytest.mark.parametrize(
    ("hasher", "text"),
    [
        (OnePassArgon2Hasher, "at least 47104 KiB needed with 1 passes"),
        (ZeroPassArgon2Hasher, "time_cost=0"),
        (OwaspMinimumArgon2Hasher, None),
        (ManyPassesArgon2Hasher, None),
        (ComputedArgon2Hasher, None),
        (Argon2PasswordHasher, None),
    ],
)
def test_argon2_parameters(hasher: type[Any], text: str | None) -> None:
    hasher_path = f"{hasher.__module__}.{hasher.__qualname__}"
    with override_settings(PASSWORD_HASHERS=[hasher_path]):
        messages = passwords.check_argon2_parameters()
    assert [m.msg for m in messages if text and text in m.msg] == [m.msg for m in messages]
    assert len(messages) == (1 if text else 0)


@pytest.mark.parametrize(
    ("hasher", "text"),
    [
        (FewIterationsPBKDF2Hasher, "PBKDF2-SHA256 with 100,000 iterations"),
        (SHA1PBKDF2Hasher, "minimum of 1,300,000"),
        (BrokenDigestPBKDF2Hasher, "minimum of 600,000"),
        (SHA512PBKDF2Hasher, None),
        (UnknownIterationsPBKDF2Hasher, None),
        (PBKDF2PasswordHasher, None),
    ],
)
def test_pbkdf2_iterations(hasher: type[Any], text: str | None) -> None:
    hasher_path = f"{hasher.__module__}.{hasher.__qualname__}"
    with override_settings(PASSWORD_HASHERS=[hasher_path]):
        messages = passwords.check_pbkdf2_iterations()
    assert len(messages) == (1 if text else 0)
    assert all(text and text in m.msg for m in messages)


@pytest.mark.parametrize(
    ("hasher", "library"),
    [
        (path(MissingLibraryHasher), "apisec_tests_no_such_module"),
        (path(MissingStringLibraryHasher), "apisec_tests_no_such_module"),
        (MD5, None),
        (ARGON2, None),
    ],
)
def test_first_hasher_library(hasher: str, library: str | None) -> None:
    with override_settings(PASSWORD_HASHERS=[hasher]):
        messages = passwords.check_first_hasher_library()
    assert [library in m.msg for m in messages] == ([True] if library else [])


def test_hasher_checks_skip_an_empty_list() -> None:
    with override_settings(PASSWORD_HASHERS=[]):
        assert passwords.check_first_hasher_strength() == []
        assert passwords.check_first_hasher_library() == []
        assert passwords.check_fallback_hashers() == []


# --- Password validators -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("validators", "ids"),
    [
        ("not a list", {"apisec.E034"}),
        (None, {"apisec.E034"}),
        ([{"NAME": COMMON}, "junk", {"NAME": 5}, {"NAME": "no_such.Validator"}], {"apisec.W035"}),
        ([{"NAME": MIN_LENGTH, "OPTIONS": {"bogus": 1}}], {"apisec.W035"}),
        ([{"NAME": MIN_LENGTH, "OPTIONS": {"min_length": "twelve"}}], {"apisec.W035"}),
        ([{"NAME": "django.contrib.auth.password_validation.validate_password"}], {"apisec.W035"}),
        ([{"NAME": MIN_LENGTH}], {"apisec.W035"}),
        ([{"NAME": MIN_LENGTH, "OPTIONS": None}], {"apisec.W035"}),
        ([{"NAME": MIN_LENGTH, "OPTIONS": {"min_length": 12}}], set()),
        ([{"NAME": path(LongMinimumLengthValidator)}], set()),
        (validators_with_min_length(8) + validators_with_min_length(14), set()),
    ],
)
def test_password_validators(validators: object, ids: set[str]) -> None:
    with override_settings(AUTH_PASSWORD_VALIDATORS=validators):
        found = {
            m.id
            for m in passwords.check_password_validators()
            + passwords.check_password_minimum_length()
        }
    assert found == ids


def test_minimum_length_reason() -> None:
    with override_settings(AUTH_PASSWORD_VALIDATORS=validators_with_min_length(10)):
        (message,) = passwords.check_password_minimum_length()
    assert "requires only 10 characters (at least 12)" in message.msg


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


def test_unusual_values_in_a_csp_policy_never_crash() -> None:
    policy: dict[Any, Any] = {
        "default-src": SimpleLazyObject(lambda: ["*"]),
        "script-src": {1, 2},
        7: "x",
        "style-src": object(),
    }
    with override_settings(**csp_settings(SECURE_CSP=policy)):
        assert isinstance(headers.check_csp_sources(), list)


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
