"""``apisec_settings``: every property, its default, and unusual values."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.utils.functional import SimpleLazyObject

from django_apisec.conf import (
    DEFAULT_MAX_PAGE_SIZE,
    PROFILES,
    apisec_settings,
    parse_trusted_proxies,
)


def test_profiles() -> None:
    assert PROFILES == ("development", "production")


def test_profile_is_the_hardened_one() -> None:
    # tests/settings.py calls harden(profile="development").
    assert apisec_settings.PROFILE == "development"
    with override_settings(APISEC_PROFILE="production"):
        assert apisec_settings.PROFILE == "production"


@override_settings()
def test_profile_defaults_to_production() -> None:
    from django.conf import settings

    del settings.APISEC_PROFILE
    assert apisec_settings.PROFILE == "production"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["10.0.0.0/8", "192.168.1.1"], ["10.0.0.0/8", "192.168.1.1"]),
        (("10.0.0.0/8",), ["10.0.0.0/8"]),
        ({"10.0.0.2", "10.0.0.1"}, ["10.0.0.1", "10.0.0.2"]),
        (frozenset({"::1"}), ["::1"]),
        ("10.0.0.0/8, 192.168.1.1", ["10.0.0.0/8", "192.168.1.1"]),
        ("10.0.0.0/8,,  ", ["10.0.0.0/8"]),
        ("", []),
        ([" 10.0.0.1 ", ""], ["10.0.0.1"]),
        ([], []),
        (None, []),
        (42, []),
        (SimpleLazyObject(lambda: "10.0.0.1"), ["10.0.0.1"]),
    ],
)
def test_trusted_proxies_forms(value: Any, expected: list[str]) -> None:
    assert parse_trusted_proxies(value) == expected
    with override_settings(APISEC_TRUSTED_PROXIES=value):
        parsed = apisec_settings.TRUSTED_PROXIES
    assert parsed == expected


def test_trusted_proxies_default_is_empty() -> None:
    assert apisec_settings.TRUSTED_PROXIES == []


def test_cache() -> None:
    assert apisec_settings.CACHE == "default"
    with override_settings(APISEC_CACHE="abuse"):
        assert apisec_settings.CACHE == "abuse"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (25, 25),
        ("40", None),
        (0, None),
        (-5, None),
        (None, None),
        ("many", None),
        (True, None),
        ([10], None),
    ],
)
def test_max_page_size(value: Any, expected: int | None) -> None:
    # A falsy bound would mean "unbounded" to DRF: unusable values (a str too: nothing is
    # converted) are None, and the paginator then ignores ?page_size=.
    with override_settings(APISEC_MAX_PAGE_SIZE=value):
        size = apisec_settings.MAX_PAGE_SIZE
    assert size == expected


def test_max_page_size_default() -> None:
    assert apisec_settings.MAX_PAGE_SIZE == DEFAULT_MAX_PAGE_SIZE == 100


def test_hardening_report() -> None:
    report = apisec_settings.HARDENING_REPORT
    assert report["APISEC_PROFILE"] == "project"
    assert report["DEBUG"] == "profile"
    # A copy: callers cannot change the settings through it.
    report["DEBUG"] = "tampered"
    assert apisec_settings.HARDENING_REPORT["DEBUG"] == "profile"


@pytest.mark.parametrize("value", [None, "text", ["DEBUG"]])
def test_hardening_report_of_an_unusual_value_is_empty(value: Any) -> None:
    with override_settings(APISEC_HARDENING_REPORT=value):
        assert apisec_settings.HARDENING_REPORT == {}


def test_values_are_read_at_call_time() -> None:
    with override_settings(APISEC_CACHE="first"):
        assert apisec_settings.CACHE == "first"
        with override_settings(APISEC_CACHE="second"):
            assert apisec_settings.CACHE == "second"
