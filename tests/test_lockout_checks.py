"""apisec.E413 (fail-open policy) and apisec.E414 (no lockout backend): each alone gives its id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.backends import ModelBackend
from django.test import override_settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy

from django_apisec import dotted_paths
from django_apisec.abuse.backends import LockoutModelBackend
from django_apisec.checks import abuse

if TYPE_CHECKING:
    from tests.conftest import DeployIds


class ProjectLockoutBackend(LockoutModelBackend):
    """A project's own subclass still enforces the lockout."""


MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def test_production_settings_enforce_the_lockout(production_settings: dict[str, Any]) -> None:
    assert production_settings["AUTHENTICATION_BACKENDS"] == [dotted_paths.LOCKOUT_BACKEND]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"APISEC_FAILURE_POLICY": "open"}, "apisec.E413"),
        ({"AUTHENTICATION_BACKENDS": [MODEL_BACKEND]}, "apisec.E414"),
        ({"AUTHENTICATION_BACKENDS": []}, "apisec.E414"),
        (
            {"AUTHENTICATION_BACKENDS": "django_apisec.abuse.backends.LockoutModelBackend"},
            "apisec.E414",
        ),
        ({"AUTHENTICATION_BACKENDS": ["myproject.missing.Backend"]}, "apisec.E414"),
    ],
    ids=["fail-open", "model-backend", "no-backend", "string-not-list", "unimportable"],
)
def test_each_insecure_lockout_setting_alone(
    deploy_ids: DeployIds, change: dict[str, Any], expected: str
) -> None:
    assert deploy_ids(**change) - deploy_ids() == {expected}


@pytest.mark.parametrize(
    "backends",
    [
        [f"{__name__}.ProjectLockoutBackend"],
        [MODEL_BACKEND, dotted_paths.LOCKOUT_BACKEND],
        ("django_apisec.abuse.backends.LockoutModelBackend",),
    ],
)
def test_lockout_backends_accepted(backends: object) -> None:
    with override_settings(AUTHENTICATION_BACKENDS=backends):
        assert abuse.check_lockout_backend() == []


@pytest.mark.parametrize("policy", ["closed", "CLOSED", "opn", None, 1])
def test_anything_but_open_is_closed(policy: object) -> None:
    with override_settings(APISEC_FAILURE_POLICY=policy):
        assert abuse.check_failure_policy() == []


@pytest.mark.parametrize(
    "value",
    [
        None,
        42,
        "x",
        [None, 3, ModelBackend],
        [f"{__name__}.MODEL_BACKEND"],  # importable, not a class
        gettext_lazy("django_apisec.abuse.backends.LockoutModelBackend"),
        SimpleLazyObject(lambda: [dotted_paths.LOCKOUT_BACKEND]),
        lambda: None,
    ],
)
def test_weird_values_never_crash(value: object) -> None:
    with override_settings(AUTHENTICATION_BACKENDS=value, APISEC_FAILURE_POLICY=value):
        assert isinstance(abuse.check_lockout_backend(), list)
        assert isinstance(abuse.check_failure_policy(), list)


OURS = [
    "django_apisec.abuse.throttling.AnonRateThrottle",
    "django_apisec.abuse.throttling.UserRateThrottle",
    # The testproject authenticates API keys: without the per-key throttle, apisec.E430.
    "django_apisec.apikeys.throttling.ApiKeyRateThrottle",
]


def with_throttles(production: dict[str, Any], classes: list[Any], **rates: str) -> dict[str, Any]:
    rest_framework = dict(production["REST_FRAMEWORK"])
    rest_framework["DEFAULT_THROTTLE_CLASSES"] = classes
    if rates:
        rest_framework["DEFAULT_THROTTLE_RATES"] = rates
    return {"REST_FRAMEWORK": rest_framework}


def test_our_throttles_as_defaults_pass(
    deploy_ids: DeployIds, production_settings: dict[str, Any]
) -> None:
    assert deploy_ids(**with_throttles(production_settings, OURS)) == deploy_ids()


def test_our_throttle_without_a_rate_is_an_error(
    deploy_ids: DeployIds, production_settings: dict[str, Any]
) -> None:
    change = with_throttles(production_settings, OURS, user="600/min", api_key="600/min")
    baseline = with_throttles(production_settings, OURS)
    assert deploy_ids(**change) - deploy_ids(**baseline) == {"apisec.E415"}
    with override_settings(**change):
        (message,) = abuse.check_throttle_scope_rates()
    assert "django_apisec.abuse.throttling.AnonRateThrottle" in message.msg
    assert "'anon'" in message.msg


@pytest.mark.parametrize(
    "classes",
    [
        "django_apisec.abuse.throttling.AnonRateThrottle",
        ["no.such.Throttle", 42, None],
        ["django_apisec.abuse.throttling.ScopedRateThrottle"],
        ["rest_framework.throttling.AnonRateThrottle"],
    ],
)
def test_throttle_scope_check_skips_what_it_cannot_judge(classes: object) -> None:
    with override_settings(
        REST_FRAMEWORK={"DEFAULT_THROTTLE_CLASSES": classes, "DEFAULT_THROTTLE_RATES": {}}
    ):
        assert abuse.check_throttle_scope_rates() == []


@pytest.mark.parametrize("rest_framework", [None, "x", {"DEFAULT_THROTTLE_CLASSES": None}])
def test_throttle_scope_check_weird_rest_framework(rest_framework: object) -> None:
    with override_settings(REST_FRAMEWORK=rest_framework):
        assert abuse.check_throttle_scope_rates() == []
