"""Response header checks (E016-W021) and the Content-Security-Policy (W022-W024)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from django.test import override_settings
from django.utils.functional import SimpleLazyObject

from django_apisec import dotted_paths
from django_apisec.checks import headers
from django_apisec.hardening import middleware_stack as middleware_order
from tests.checks_support import each_insecure_setting_alone

if TYPE_CHECKING:
    from collections.abc import Callable


def without(middleware: str) -> Callable[[dict[str, Any]], list[str]]:
    """Production MIDDLEWARE minus one entry (resolved when the row runs)."""
    return lambda production: [m for m in production["MIDDLEWARE"] if m != middleware]


def replaced(old: str, new: str) -> Callable[[dict[str, Any]], list[str]]:
    """Production MIDDLEWARE with one entry swapped for another."""
    return lambda production: [new if m == old else m for m in production["MIDDLEWARE"]]


def csp_with(directive: str, *sources: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Production SECURE_CSP with one directive replaced."""
    return lambda production: {**production["SECURE_CSP"], directive: list(sources)}


NEEDS_BUILTIN_CSP = pytest.mark.skipif(
    not middleware_order.django_has_builtin_csp(),
    reason="Django < 6.0 has no CSP middleware of its own",
)

BREAKING_TABLE: list[Any] = [
    ({"MIDDLEWARE": without(dotted_paths.SECURITY_MIDDLEWARE)}, "apisec.E016"),
    ({"MIDDLEWARE": without(dotted_paths.XFRAME_MIDDLEWARE)}, "apisec.E017"),
    ({"X_FRAME_OPTIONS": "ALLOW-FROM https://evil.example"}, "apisec.E017"),
    ({"X_FRAME_OPTIONS": "SAMEORIGIN"}, "apisec.W018"),
    ({"SECURE_CONTENT_TYPE_NOSNIFF": False}, "apisec.E019"),
    ({"SECURE_REFERRER_POLICY": None}, "apisec.W020"),
    ({"SECURE_REFERRER_POLICY": "unsafe-url"}, "apisec.W020"),
    ({"SECURE_REFERRER_POLICY": "no-referrer-when-downgrade"}, "apisec.W020"),
    ({"SECURE_CROSS_ORIGIN_OPENER_POLICY": None}, "apisec.W021"),
    ({"SECURE_CROSS_ORIGIN_OPENER_POLICY": "unsafe-none"}, "apisec.W021"),
    ({"MIDDLEWARE": without(middleware_order.csp_middleware())}, "apisec.W022"),
    ({"SECURE_CSP": {}}, "apisec.W022"),
    ({"SECURE_CSP": None}, "apisec.W022"),
    ({"SECURE_CSP": csp_with("script-src", "'self'", "'unsafe-inline'")}, "apisec.W023"),
    ({"SECURE_CSP": csp_with("script-src", "'self'", "'unsafe-eval'")}, "apisec.W023"),
    ({"SECURE_CSP": csp_with("default-src", "*")}, "apisec.W023"),
    pytest.param(
        {
            "MIDDLEWARE": replaced(
                dotted_paths.DJANGO_CSP_MIDDLEWARE, dotted_paths.CSP_BACKPORT_MIDDLEWARE
            )
        },
        "apisec.W024",
        marks=NEEDS_BUILTIN_CSP,
    ),
]

test_each_insecure_setting_alone = each_insecure_setting_alone(BREAKING_TABLE)


def test_x_frame_options_of_another_type() -> None:
    middleware = [dotted_paths.XFRAME_MIDDLEWARE]
    with override_settings(MIDDLEWARE=middleware, X_FRAME_OPTIONS=None):
        (message,) = headers.check_x_frame_options()
        assert headers.check_x_frame_options_deny() == []
    assert "X_FRAME_OPTIONS is None" in message.msg


def test_x_frame_options_lower_case_is_valid() -> None:
    with override_settings(MIDDLEWARE=[dotted_paths.XFRAME_MIDDLEWARE], X_FRAME_OPTIONS="deny"):
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
        "MIDDLEWARE": [dotted_paths.SECURITY_MIDDLEWARE, middleware_order.csp_middleware()],
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
    assert middleware_order.csp_middleware() in message.hint
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
    middleware = [dotted_paths.CSP_BACKPORT_MIDDLEWARE]
    with (
        mock.patch.object(middleware_order, "django_has_builtin_csp", return_value=builtin),
        override_settings(MIDDLEWARE=middleware, SECURE_CSP={"default-src": ["'self'"]}),
    ):
        assert [m.id for m in headers.check_csp_backport()] == (["apisec.W024"] if builtin else [])
        # The backport sends the policy either way.
        assert headers.check_csp_present() == []


def test_djangos_middleware_path_is_no_policy_on_django_5() -> None:
    middleware = [dotted_paths.DJANGO_CSP_MIDDLEWARE]
    with (
        mock.patch.object(middleware_order, "django_has_builtin_csp", return_value=False),
        override_settings(MIDDLEWARE=middleware, SECURE_CSP={"default-src": ["'self'"]}),
    ):
        (message,) = headers.check_csp_present()
    assert dotted_paths.CSP_BACKPORT_MIDDLEWARE in message.msg


def test_unusual_values_in_a_csp_policy_never_crash() -> None:
    policy: dict[Any, Any] = {
        "default-src": SimpleLazyObject(lambda: ["*"]),
        "script-src": {1, 2},
        7: "x",
        "style-src": object(),
    }
    with override_settings(**csp_settings(SECURE_CSP=policy)):
        assert isinstance(headers.check_csp_sources(), list)
