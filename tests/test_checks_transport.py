"""Transport checks (E004-W007): HTTPS redirect and HSTS."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from django_apisec.checks import transport
from django_apisec.hardening import profiles
from tests.checks_support import each_insecure_setting_alone, ids_of

BREAKING_TABLE: list[Any] = [
    ({"SECURE_SSL_REDIRECT": False}, "apisec.E004"),
    ({"SECURE_HSTS_SECONDS": 0}, "apisec.E005"),
    ({"SECURE_HSTS_SECONDS": 3600}, "apisec.E005"),
    ({"SECURE_HSTS_INCLUDE_SUBDOMAINS": False}, "apisec.W006"),
    ({"SECURE_HSTS_PRELOAD": False}, "apisec.W007"),
]

test_each_insecure_setting_alone = each_insecure_setting_alone(BREAKING_TABLE)


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
    with override_settings(SECURE_HSTS_SECONDS=str(profiles.ONE_YEAR)):
        assert transport.check_hsts_seconds() == []
