"""CORS checks: each insecure CORS configuration, alone, yields exactly its id."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy

from django_apisec.checks import cors
from tests.conftest import NOT_OVERRIDDEN, DeployIds

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

CORS = "corsheaders.middleware.CorsMiddleware"
COMMON = "django.middleware.common.CommonMiddleware"
WHITENOISE = "whitenoise.middleware.WhiteNoiseMiddleware"
SECURITY = "django.middleware.security.SecurityMiddleware"

# A production deployment with a credentialed browser front end: the baseline for rows that are
# only insecure when credentials are allowed.
CREDENTIALED = {
    "CORS_ALLOWED_ORIGINS": ["https://app.example.com"],
    "CORS_ALLOW_CREDENTIALS": True,
}

Change = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]


def without_cors_middleware(production: dict[str, Any]) -> dict[str, Any]:
    return {"MIDDLEWARE": [m for m in production["MIDDLEWARE"] if m != CORS]}


def cors_after(other: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(production: dict[str, Any]) -> dict[str, Any]:
        rest = [m for m in production["MIDDLEWARE"] if m not in (CORS, other)]
        return {"MIDDLEWARE": [SECURITY, other, CORS, *rest[1:]]}

    return change


def ids_of(messages: list[CheckMessage]) -> list[str | None]:
    return [message.id for message in messages]


def run_cors_checks() -> list[str | None]:
    functions = [getattr(cors, name) for name in dir(cors) if name.startswith("check_")]
    return [i for function in functions for i in ids_of(function())]


def test_production_settings_have_no_cors_finding(deploy_ids: DeployIds) -> None:
    assert {i for i in deploy_ids() if i.startswith(("apisec.E3", "apisec.W3"))} == set()


def test_credentialed_front_end_is_accepted(deploy_ids: DeployIds) -> None:
    assert deploy_ids(**CREDENTIALED) == deploy_ids()


# The breaking table: (baseline, one change, the one new id).
@pytest.mark.parametrize(
    ("base", "change", "expected"),
    [
        ({}, {"CORS_ALLOW_ALL_ORIGINS": True}, "apisec.W302"),
        (CREDENTIALED, {"CORS_ALLOW_ALL_ORIGINS": True}, "apisec.E301"),
        ({}, {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://app\.example\.com"]}, "apisec.E303"),
        (
            {},
            {
                "CORS_ALLOWED_ORIGIN_REGEXES": [
                    r"^https://a\.example\.com$|^https://b\.example\.com"
                ]
            },
            "apisec.E303",
        ),
        ({}, {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://app.example\.com$"]}, "apisec.W304"),
        ({}, {"CORS_ALLOWED_ORIGINS": ["http://app.example.com"]}, "apisec.E311"),
        (
            CREDENTIALED,
            {"CORS_ALLOWED_ORIGINS": ["https://app.example.com", "http://app.example.com"]},
            "apisec.E305",
        ),
        ({}, {"CORS_ALLOWED_ORIGINS": ["null"]}, "apisec.E307"),
        (
            {},
            {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^(https://app\.example\.com|null)$"]},
            "apisec.E307",
        ),
        ({}, without_cors_middleware, "apisec.E308"),
        ({}, cors_after(COMMON), "apisec.E309"),
        ({}, cors_after(WHITENOISE), "apisec.E309"),
        ({}, {"CORS_ALLOW_PRIVATE_NETWORK": True}, "apisec.W310"),
        ({}, {"CORS_ALLOWED_ORIGINS": ["http://localhost:3000"]}, "apisec.E311"),
        (CREDENTIALED, {"CORS_ALLOWED_ORIGINS": ["http://localhost:3000"]}, "apisec.E311"),
        ({}, {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https?://app\.example\.com$"]}, "apisec.E311"),
    ],
    ids=[
        "allow-all",
        "allow-all+credentials",
        "regex-no-end-anchor",
        "regex-alternative-no-end-anchor",
        "regex-unescaped-dot",
        "http-origin",
        "http-origin+credentials",
        "null-origin",
        "null-origin-regex",
        "no-cors-middleware",
        "cors-after-common",
        "cors-after-whitenoise",
        "private-network",
        "http-localhost-in-production",
        "http-localhost+credentials-in-production",
        "regex-matching-http",
    ],
)
def test_each_insecure_cors_setting_alone(
    deploy_ids: DeployIds,
    production_settings: dict[str, Any],
    base: dict[str, Any],
    change: Change,
    expected: str,
) -> None:
    overrides = change(production_settings) if callable(change) else change
    assert deploy_ids(**{**base, **overrides}) - deploy_ids(**base) == {expected}


def test_allow_all_with_credentials_fails_check_deploy(production_settings: dict[str, Any]) -> None:
    applied = {k: v for k, v in production_settings.items() if k not in NOT_OVERRIDDEN}
    applied.update(CORS_ALLOW_ALL_ORIGINS=True, CORS_ALLOW_CREDENTIALS=True)
    with (
        override_settings(**applied),
        pytest.raises(SystemCheckError, match=r"apisec\.E301"),
    ):
        call_command("check", deploy=True, tags=["apisec"])


@pytest.mark.parametrize(
    ("pattern", "anchored"),
    [
        (r"^https://app\.example\.com$", True),
        (r"^https://app\.example\.com\Z", True),
        (r"https://app\.example\.com$", True),  # re.match anchors the start itself
        (r"^https://(a|b)\.example\.com$", True),
        (r"^https://a\.example\.com$|^https://b\.example\.com$", True),
        (r"^https://[|]\.example\.com$", True),
        (r"^https://app\.example\.com", False),
        (r"^https://app\.example\.com\$", False),  # an escaped, literal dollar
        (r"^https://app\.example\.com\\Z", False),  # a literal backslash, then Z
        (r"^https://app\.example\.com[$]", False),
        (r"^https://a\.example\.com$|^https://b\.example\.com", False),
        (r"^https://(a\.example\.com|b\.example\.com$)", False),
        ("", False),
    ],
)
def test_is_end_anchored(pattern: str, anchored: bool) -> None:
    assert cors.is_end_anchored(pattern) is anchored


@pytest.mark.parametrize(
    ("pattern", "bare"),
    [
        (r"^https://app\.example\.com$", False),
        (r"^https://.*\.example\.com$", False),
        (r"^https://.+\.example\.com$", False),
        (r"^https://[a-z.]+\.example\.com$", False),
        (r"^https://[a-z\].]+\.example\.com$", False),
        (r"^https:\/\/app\.example\.com$", False),
        (r"^https://app.example.com$", True),
        (r"^https:\/\/app.example\.com$", True),
        (r"^https://[]a-z]+.example\.com$", True),
        (r"^[^]]+.example\.com$", True),
        (r"app.example", True),  # no scheme: the whole pattern is the host part
        (r"^https://app\.example\.com.", True),
    ],
)
def test_has_bare_host_dot(pattern: str, bare: bool) -> None:
    assert cors.has_bare_host_dot(pattern) is bare


def test_unterminated_character_class_does_not_crash() -> None:
    assert cors.top_level_alternatives(r"^https://[a-z|") == [r"^https://[a-z|"]
    assert cors.has_bare_host_dot(r"^https://[a.") is False


@override_settings(CORS_ALLOWED_ORIGIN_REGEXES=[re.compile(r"^https://app\.example\.com")])
def test_compiled_regex_is_judged_by_its_pattern() -> None:
    assert ids_of(cors.check_origin_regexes()) == ["apisec.E303"]


@override_settings(CORS_ALLOWED_ORIGIN_REGEXES=[re.compile(rb"^https://app\.example\.com")])
def test_bytes_regex_is_skipped() -> None:
    assert cors.check_origin_regexes() == []


@override_settings(CORS_ALLOWED_ORIGIN_REGEXES=["(unclosed$"])
def test_invalid_regex_is_not_reported_as_null_origin() -> None:
    assert cors.check_null_origin() == []


@override_settings(CORS_ALLOWED_ORIGIN_REGEXES=[".*"])
def test_match_everything_regex_trusts_null() -> None:
    (message,) = cors.check_null_origin()
    assert message.id == "apisec.E307"
    assert "'.*'" in message.msg


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:3000",
        "http://127.0.0.1:8000",
        "http://[::1]:8000",
        "https://app.example.com",
        "file://",
        "http://[::1",  # malformed: corsheaders.E013's business
    ],
)
def test_local_http_and_https_origins_are_accepted(origin: str) -> None:
    with override_settings(CORS_ALLOWED_ORIGINS=[origin], CORS_ALLOW_CREDENTIALS=True):
        assert cors.check_http_origins() == []


@override_settings(CORS_ALLOWED_ORIGINS=["http://a.example.com", "http://b.example.com"])
def test_each_http_origin_is_named() -> None:
    messages = cors.check_http_origins()
    assert ids_of(messages) == ["apisec.W306", "apisec.W306"]
    assert "'http://b.example.com'" in messages[1].msg


def test_legacy_setting_names_are_read(settings: Any) -> None:
    del settings.CORS_ALLOW_ALL_ORIGINS
    del settings.CORS_ALLOWED_ORIGINS
    del settings.CORS_ALLOWED_ORIGIN_REGEXES
    settings.CORS_ORIGIN_ALLOW_ALL = True
    settings.CORS_ORIGIN_WHITELIST = ["null"]
    settings.CORS_ORIGIN_REGEX_WHITELIST = [r"^https://app\.example\.com"]
    settings.CORS_ALLOW_CREDENTIALS = True
    assert set(run_cors_checks()) == {"apisec.E301", "apisec.E303", "apisec.E307"}


@pytest.mark.parametrize(
    "apps",
    [["corsheaders"], ["corsheaders.apps.CorsHeadersAppConfig"]],
)
def test_installed_corsheaders_needs_the_middleware(apps: list[str]) -> None:
    fake = SimpleNamespace(INSTALLED_APPS=apps, MIDDLEWARE=[SECURITY])
    with mock.patch.object(cors, "settings", fake):
        assert ids_of(cors.check_cors_middleware()) == ["apisec.E308"]


@pytest.mark.parametrize(
    "setting",
    [
        {"CORS_ALLOWED_ORIGINS": ["https://app.example.com"]},
        {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://app\.example\.com$"]},
        {"CORS_ALLOW_ALL_ORIGINS": True},
    ],
)
def test_configured_origins_need_the_middleware(setting: dict[str, Any]) -> None:
    fake = SimpleNamespace(INSTALLED_APPS=["django_apisec"], MIDDLEWARE=[SECURITY], **setting)
    with mock.patch.object(cors, "settings", fake):
        assert ids_of(cors.check_cors_middleware()) == ["apisec.E308"]


def test_no_cors_at_all_needs_no_middleware() -> None:
    fake = SimpleNamespace(INSTALLED_APPS=["django_apisec"], MIDDLEWARE=[SECURITY])
    with mock.patch.object(cors, "settings", fake):
        assert cors.check_cors_middleware() == []


def test_middleware_after_cors_is_fine() -> None:
    fake = SimpleNamespace(MIDDLEWARE=[SECURITY, CORS, WHITENOISE, COMMON])
    with mock.patch.object(cors, "settings", fake):
        assert cors.check_cors_middleware() == []


def test_each_early_middleware_is_named() -> None:
    fake = SimpleNamespace(MIDDLEWARE=[WHITENOISE, COMMON, None, CORS])
    with mock.patch.object(cors, "settings", fake):
        messages = cors.check_cors_middleware()
    assert ids_of(messages) == ["apisec.E309", "apisec.E309"]
    assert COMMON in messages[0].msg
    assert WHITENOISE in messages[1].msg


WEIRD_VALUES = [
    None,
    0,
    7,
    "https://app.example.com",
    b"null",
    lambda: ["null"],
    gettext_lazy("null"),
    SimpleLazyObject(lambda: ["null", "http://x.example"]),
    object(),
    {"null": True},
    [None, 5, object(), b"x", re.compile("x")],
    ("null", "http://x.example", r"^https://x.example"),
]
WEIRD_SETTINGS = [
    "CORS_ALLOWED_ORIGINS",
    "CORS_ALLOWED_ORIGIN_REGEXES",
    "CORS_ALLOW_ALL_ORIGINS",
    "CORS_ALLOW_CREDENTIALS",
    "CORS_ALLOW_PRIVATE_NETWORK",
    "CORS_ORIGIN_WHITELIST",
    "CORS_ORIGIN_REGEX_WHITELIST",
    "CORS_ORIGIN_ALLOW_ALL",
    "MIDDLEWARE",
    "INSTALLED_APPS",
]


@pytest.mark.parametrize("value", WEIRD_VALUES)
@pytest.mark.parametrize("setting", WEIRD_SETTINGS)
def test_weird_values_never_crash(setting: str, value: object) -> None:
    with mock.patch.object(cors, "settings", SimpleNamespace(**{setting: value})):
        assert isinstance(run_cors_checks(), list)


def test_missing_settings_never_crash() -> None:
    with mock.patch.object(cors, "settings", SimpleNamespace()):
        assert run_cors_checks() == []


# --- plain-http origins by profile -----------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "credentials", "origin", "expected"),
    [
        ("development", False, "http://app.example.com", ["apisec.W306"]),
        ("development", True, "http://app.example.com", ["apisec.E305"]),
        ("development", True, "http://localhost:3000", []),
        ("development", False, "http://localhost:3000", []),
        ("production", False, "http://app.example.com", ["apisec.E311"]),
        ("production", True, "http://app.example.com", ["apisec.E305"]),
        ("production", True, "http://localhost:3000", ["apisec.E311"]),
        ("production", False, "http://127.0.0.1:8000", ["apisec.E311"]),
        ("production", True, "https://app.example.com", []),
    ],
)
def test_one_id_per_http_origin_by_profile(
    profile: str, credentials: bool, origin: str, expected: list[str]
) -> None:
    with override_settings(
        APISEC_PROFILE=profile, CORS_ALLOWED_ORIGINS=[origin], CORS_ALLOW_CREDENTIALS=credentials
    ):
        assert ids_of(cors.check_http_origins()) == expected


def test_production_names_the_http_origin_and_the_regex() -> None:
    with override_settings(
        APISEC_PROFILE="production",
        CORS_ALLOWED_ORIGINS=["http://app.example.com"],
        CORS_ALLOWED_ORIGIN_REGEXES=[r"^https://a\.example\.com$", r"^https?://b\.example\.com$"],
    ):
        first, second = cors.check_http_origins()
    assert "'http://app.example.com'" in first.msg
    assert "in the production profile" in first.msg
    assert "CORS_ALLOWED_ORIGIN_REGEXES entry '^https?://b\\\\.example\\\\.com$'" in second.msg


@override_settings(APISEC_PROFILE="development", CORS_ALLOWED_ORIGIN_REGEXES=[r"^http://.*$"])
def test_origin_regexes_matching_http_are_fine_in_development() -> None:
    assert cors.check_http_origins() == []


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        (r"^https?://app\.example\.com$", True),
        (r"^http://localhost:\d+$", True),
        (r"^(http|https)://app\.example\.com$", True),
        (r"^http(s)?://app\.example\.com$", True),
        (r"^(?:https://a\.example\.com|http://b\.example\.com)$", True),
        (r"^[a-z]+://app\.example\.com$", True),
        (r"^.*://app\.example\.com$", True),
        (r"^http:\/\/app\.example\.com$", True),
        (r"^http\:\/\/app\.example\.com$", True),
        (r"^http\://app\.example\.com$", True),
        (r"^https://app\.example\.com$", False),
        (r"^https:\/\/app\.example\.com$", False),
        (r"^(https)://app\.example\.com$", False),
        (r"^wss?://app\.example\.com$", False),
        (r"^https://(app|api)\.example\.com$", False),
        # No "://" at all: not judged (a known limit of the heuristic).
        (r"^.*\.example\.com$", False),
    ],
)
def test_which_origin_regexes_match_http(pattern: str, matches: bool) -> None:
    assert cors.matches_http_scheme(pattern) is matches
