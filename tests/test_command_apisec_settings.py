"""``manage.py apisec_settings``: values, origins, masking, text and JSON."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy

from django_apisec.hardening.profiles import GOVERNED_SETTINGS, SECRET_SETTINGS
from django_apisec.management.commands.apisec_settings import (
    _MISSING,
    DJANGO_DEFAULT,
    NOT_SET,
    jsonable,
    mask,
)

OLD_SECRET = "old-rotated-secret-key-" + "o" * 50
VERIFYING = "-----BEGIN PUBLIC KEY-----verifying-key-material-----END PUBLIC KEY-----"


def run(*args: str) -> str:
    out = StringIO()
    call_command("apisec_settings", *args, stdout=out)
    return out.getvalue()


def run_json() -> dict[str, Any]:
    return json.loads(run("--json"))  # type: ignore[no-any-return]


def rows() -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in run_json()["settings"]}


def secrets_in_settings() -> list[str]:
    return [settings.SECRET_KEY, settings.SIMPLE_JWT["SIGNING_KEY"], OLD_SECRET, VERIFYING]


def with_secrets() -> override_settings:
    jwt = {**settings.SIMPLE_JWT, "VERIFYING_KEY": VERIFYING}
    return override_settings(SECRET_KEY_FALLBACKS=[OLD_SECRET], SIMPLE_JWT=jwt)


def test_text_lists_every_governed_setting_with_its_source() -> None:
    output = run()
    lines = output.splitlines()
    assert lines[0] == "Profile: development"
    assert lines[2].split() == ["SETTING", "SOURCE", "VALUE"]
    names = [line.split()[0] for line in lines[3:]]
    assert names == list(GOVERNED_SETTINGS)
    by_name = {line.split()[0]: line for line in lines[3:]}
    assert by_name["SECURE_HSTS_SECONDS"].split()[1:] == ["profile", "0"]
    assert by_name["X_FRAME_OPTIONS"].split()[1:] == ["profile", "'DENY'"]
    # tests/settings.py sets its own hashers and JWT key: the project's values.
    assert by_name["PASSWORD_HASHERS"].split()[1] == "project"
    assert by_name["SIMPLE_JWT.SIGNING_KEY"].split()[1] == "project"
    assert by_name["SECURE_PROXY_SSL_HEADER"].split()[1:3] == ["django", "default"]


@pytest.mark.parametrize("mode", [(), ("--json",)])
def test_secrets_are_never_printed(mode: tuple[str, ...]) -> None:
    with with_secrets():
        output = run(*mode)
        for secret in secrets_in_settings():
            assert secret not in output
            # Not even a recognisable piece of it.
            assert secret[:16] not in output


def test_secrets_are_described() -> None:
    with with_secrets():
        found = rows()
    assert found["SECRET_KEY"]["value"] == f"<set, {len(settings.SECRET_KEY)} chars>"
    signing = settings.SIMPLE_JWT["SIGNING_KEY"]
    assert found["SIMPLE_JWT.SIGNING_KEY"]["value"] == f"<set, {len(signing)} chars>"
    assert found["SIMPLE_JWT.VERIFYING_KEY"]["value"] == f"<set, {len(VERIFYING)} chars>"
    assert found["SECRET_KEY_FALLBACKS"]["value"] == "<set, 1 values>"
    assert {name for name, row in found.items() if str(row["value"]).startswith("<set")} == set(
        SECRET_SETTINGS
    )


def test_json_document() -> None:
    document = run_json()
    assert document["profile"] == "development"
    assert document["hardened"] is True
    assert [row["name"] for row in document["settings"]] == list(GOVERNED_SETTINGS)
    assert all(set(row) == {"name", "value", "source"} for row in document["settings"])
    found = {row["name"]: row for row in document["settings"]}
    assert found["SECURE_CONTENT_TYPE_NOSNIFF"] == {
        "name": "SECURE_CONTENT_TYPE_NOSNIFF",
        "value": True,
        "source": "profile",
    }
    assert found["APISEC_PROFILE"]["source"] == "project"
    assert found["SIMPLE_JWT.ACCESS_TOKEN_LIFETIME"]["value"] == str(timedelta(minutes=15))
    assert found["SIMPLE_JWT.AUTH_HEADER_TYPES"]["value"] == ["Bearer"]
    assert found["SECURE_CSP"]["value"]["frame-ancestors"] == ["'none'"]
    assert found["SIMPLE_JWT.VERIFYING_KEY"] == {
        "name": "SIMPLE_JWT.VERIFYING_KEY",
        "value": NOT_SET,
        "source": DJANGO_DEFAULT,
    }


def test_overridden_values_are_shown_with_the_recorded_source() -> None:
    with override_settings(X_FRAME_OPTIONS="SAMEORIGIN"):
        found = rows()
    assert found["X_FRAME_OPTIONS"]["value"] == "SAMEORIGIN"


@override_settings()
def test_without_harden_sources_are_project_or_django_default() -> None:
    del settings.APISEC_HARDENING_REPORT
    del settings.SECURE_CSP
    settings.REST_FRAMEWORK = {"PAGE_SIZE": 10}
    output = run()
    assert output.splitlines()[0] == "Profile: none (harden() was not called in settings.py)"
    document = run_json()
    assert document["profile"] is None
    assert document["hardened"] is False
    found = {row["name"]: row for row in document["settings"]}
    assert found["DEBUG"]["source"] == "project"
    assert found["SECURE_PROXY_SSL_HEADER"] == {
        "name": "SECURE_PROXY_SSL_HEADER",
        "value": None,
        "source": DJANGO_DEFAULT,
    }
    assert found["SECURE_CSP"]["value"] == NOT_SET
    assert found["REST_FRAMEWORK.PAGE_SIZE"] == {
        "name": "REST_FRAMEWORK.PAGE_SIZE",
        "value": 10,
        "source": "project",
    }
    # DRF's own default: believe any X-Forwarded-For (what harden() fixes).
    assert found["REST_FRAMEWORK.NUM_PROXIES"] == {
        "name": "REST_FRAMEWORK.NUM_PROXIES",
        "value": None,
        "source": DJANGO_DEFAULT,
    }
    assert found["SIMPLE_JWT.ALGORITHM"]["source"] == "project"


@pytest.mark.parametrize(
    "value",
    [
        None,
        ["not", "a", "dict"],
        "text",
        gettext_lazy("lazy"),
        SimpleLazyObject(lambda: {"PAGE_SIZE": 5}),
        dict,
        object(),
    ],
)
def test_unusual_values_never_crash(value: Any) -> None:
    # Assigned inside override_settings() so that no setting_changed receiver (simplejwt's
    # chokes on a callable) sees them: only the command is under test.
    with override_settings():
        for name in ("REST_FRAMEWORK", "SIMPLE_JWT", "SECURE_CSP", "SECRET_KEY_FALLBACKS"):
            setattr(settings, name, value)
        settings.X_FRAME_OPTIONS = value
        assert "REST_FRAMEWORK.PAGE_SIZE" in run()
        assert len(run_json()["settings"]) == len(GOVERNED_SETTINGS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (_MISSING, NOT_SET),
        (None, NOT_SET),
        ("", NOT_SET),
        ("abc", "<set, 3 chars>"),
        (b"abcd", "<set, 4 chars>"),
        (["a", "b"], "<set, 2 values>"),
        (("a",), "<set, 1 values>"),
        ([], "<empty>"),
        (object(), "<set>"),
        (gettext_lazy("lazy secret"), "<set>"),
    ],
)
def test_mask(value: Any, expected: str) -> None:
    assert mask(value) == expected


def test_jsonable() -> None:
    value = {
        1: timedelta(minutes=1),
        "path": Path("/tmp/x"),  # noqa: S108
        "set": {"b", "a"},
        "mixed": frozenset({1, "a"}),
        "tuple": ("x", None, 1.5, True),
        "lazy": gettext_lazy("text"),
    }
    assert jsonable(value) == {
        "1": "0:01:00",
        "path": "/tmp/x",  # noqa: S108
        "set": ["a", "b"],
        "mixed": [1, "a"],
        "tuple": ["x", None, 1.5, True],
        "lazy": "text",
    }
    json.dumps(jsonable(value))


def test_help_mentions_json() -> None:
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("apisec_settings", "--help", stdout=out)
