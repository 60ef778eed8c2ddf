"""The abuse-control settings of apisec_settings: defaults, coercion, and weird values."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from django_apisec.conf import (
    DEFAULT_LOCKOUT_PERIODS,
    DEFAULT_LOCKOUT_THRESHOLD,
    DEFAULT_LOCKOUT_WINDOW,
    DEFAULT_TRUSTED_DEVICE_AGE,
    apisec_settings,
)


def test_defaults() -> None:
    assert not hasattr(settings, "APISEC_LOCKOUT_THRESHOLD")
    assert apisec_settings.FAILURE_POLICY == "closed"
    assert apisec_settings.LOCKOUT_THRESHOLD == DEFAULT_LOCKOUT_THRESHOLD == 5
    assert apisec_settings.LOCKOUT_PERIODS == DEFAULT_LOCKOUT_PERIODS
    assert apisec_settings.LOCKOUT_WINDOW == DEFAULT_LOCKOUT_WINDOW
    assert apisec_settings.TRUSTED_DEVICE_AGE == DEFAULT_TRUSTED_DEVICE_AGE


@pytest.mark.parametrize(
    ("value", "expected"),
    # Only an int is an int: "7", 2.9 and True are unusable (apisec.E610), not converted.
    [(3, 3), ("7", 5), (0, 5), (-1, 5), (True, 5), (None, 5), ("x", 5), ([1], 5), (2.9, 5)],
)
def test_lockout_threshold_takes_only_a_positive_int(value: object, expected: int) -> None:
    with override_settings(APISEC_LOCKOUT_THRESHOLD=value):
        assert expected == apisec_settings.LOCKOUT_THRESHOLD


@pytest.mark.parametrize(
    ("value", "expected"),
    [("open", "open"), ("closed", "closed"), ("Open", "closed"), (None, "closed")],
)
def test_failure_policy_is_closed_unless_exactly_open(value: object, expected: str) -> None:
    with override_settings(APISEC_FAILURE_POLICY=value):
        assert expected == apisec_settings.FAILURE_POLICY


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([10, 20], (10, 20)),
        ((30,), (30,)),
        (("30",), DEFAULT_LOCKOUT_PERIODS),
        ([], DEFAULT_LOCKOUT_PERIODS),
        ([10, 0], DEFAULT_LOCKOUT_PERIODS),
        ([10, "x"], DEFAULT_LOCKOUT_PERIODS),
        ("60", DEFAULT_LOCKOUT_PERIODS),
        (None, DEFAULT_LOCKOUT_PERIODS),
    ],
)
def test_lockout_periods(value: object, expected: tuple[int, ...]) -> None:
    with override_settings(APISEC_LOCKOUT_PERIODS=value):
        assert expected == apisec_settings.LOCKOUT_PERIODS


def test_numeric_settings_are_read_at_call_time() -> None:
    with override_settings(
        APISEC_LOCKOUT_THRESHOLD=3, APISEC_LOCKOUT_WINDOW=60, APISEC_TRUSTED_DEVICE_AGE=0
    ):
        assert apisec_settings.LOCKOUT_THRESHOLD == 3
        assert apisec_settings.LOCKOUT_WINDOW == 60
        assert apisec_settings.TRUSTED_DEVICE_AGE == DEFAULT_TRUSTED_DEVICE_AGE


def test_testproject_reads_the_lockout_threshold_from_the_environment() -> None:
    from tests.conftest import PRODUCTION_ENV, load_testproject_settings

    assert load_testproject_settings(PRODUCTION_ENV)["APISEC_LOCKOUT_THRESHOLD"] == 5
    changed = load_testproject_settings({**PRODUCTION_ENV, "APISEC_LOCKOUT_THRESHOLD": "12"})
    assert changed["APISEC_LOCKOUT_THRESHOLD"] == 12
