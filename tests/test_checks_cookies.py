"""Cookie checks (E008-W015): session, CSRF and language cookies."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.test import override_settings
from django.utils.translation import gettext_lazy

from django_apisec import dotted_paths
from django_apisec.checks import cookies
from tests.checks_support import each_insecure_setting_alone, ids_of

BREAKING_TABLE: list[Any] = [
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
]

test_each_insecure_setting_alone = each_insecure_setting_alone(BREAKING_TABLE)


def test_session_cookie_not_judged_without_sessions() -> None:
    insecure = {
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_HTTPONLY": False,
        "SESSION_COOKIE_SAMESITE": "None",
        "SESSION_COOKIE_NAME": "sessionid",
    }
    middleware = [dotted_paths.SECURITY_MIDDLEWARE]
    with mock.patch.object(cookies.apps, "is_installed", return_value=False):
        unused = ids_of(MIDDLEWARE=middleware, **insecure)
        used = ids_of(MIDDLEWARE=[*middleware, dotted_paths.SESSION_MIDDLEWARE], **insecure)
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
