"""``RedactingFilter``: no password, token, secret, Authorization header or cookie in any log."""

from __future__ import annotations

import io
import json
import logging
import sys
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils.functional import SimpleLazyObject

from django_apisec.observability.formatting import JsonLinesFormatter
from django_apisec.observability.redaction import (
    REDACTED,
    RedactingFilter,
    is_sensitive_key,
    known_secrets,
    redact_text,
    redact_value,
)
from django_apisec.request.request_id import RequestIdFilter

if TYPE_CHECKING:
    from collections.abc import Iterator

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("password=hunter2 next", "password=[REDACTED] next", "hunter2"),
        ("new_password: hunter2", "new_password: [REDACTED]", "hunter2"),
        ("{'password': 'hunter 2', 'user': 'bob'}", "'user': 'bob'", "hunter 2"),
        ('{"refresh": "abc.def", "x": 1}', '"x": 1', "abc.def"),
        ("GET /api/?token=s3cr3t&page=2", "page=2", "s3cr3t"),
        ("Authorization: Bearer abc.def.ghi", "Authorization", "abc.def.ghi"),
        ("auth header Bearer abcdef123", "Bearer [REDACTED]", "abcdef123"),
        ("Basic dXNlcjpwYXNz", "Basic [REDACTED]", "dXNlcjpwYXNz"),
        ("Cookie: sessionid=abc; csrftoken=def", "Cookie: [REDACTED]", "csrftoken=def"),
        ("{'Authorization': 'Bearer abc', 'Accept': 'json'}", "'Accept': 'json'", "abc"),
        ("{'HTTP_COOKIE': 'a=1; b=2', 'PATH': '/'}", "'PATH': '/'", "a=1; b=2"),
        (f"token in text {JWT} here", "here", JWT),
        ("API_KEY=xyz123", "API_KEY=[REDACTED]", "xyz123"),
        ('client_secret="s p a c e"', 'client_secret="[REDACTED]"', "s p a c e"),
    ],
)
def test_redact_text(text: str, kept: str, gone: str) -> None:
    result = redact_text(text, [])
    assert kept in result
    assert gone not in result


def test_plain_text_is_untouched() -> None:
    text = "user alice logged in from 10.0.0.1; 3 notes, page=2"
    assert redact_text(text, []) == text


def test_known_secrets_are_redacted_anywhere() -> None:
    secret = settings.SECRET_KEY
    signing_key = settings.SIMPLE_JWT["SIGNING_KEY"]
    assert secret in known_secrets()
    assert signing_key in known_secrets()
    result = redact_text(f"oops {secret} and {signing_key}")
    assert secret not in result
    assert signing_key not in result


@pytest.mark.parametrize("jwt", [None, "not a dict"])
def test_known_secrets_with_fallbacks_and_odd_jwt_settings(jwt: Any) -> None:
    with override_settings(SECRET_KEY_FALLBACKS=["old-key-" + "o" * 40, "short"], SIMPLE_JWT=jwt):
        found = known_secrets()
    assert "old-key-" + "o" * 40 in found
    assert "short" not in found  # too short to be a key; would redact ordinary words


def test_known_secrets_with_broken_settings() -> None:
    broken = SimpleLazyObject(lambda: 1 / 0)
    with override_settings(SECRET_KEY_FALLBACKS=broken):
        assert known_secrets() == []


@pytest.mark.parametrize(
    ("key", "sensitive"),
    [
        ("password", True),
        ("HTTP_AUTHORIZATION", True),
        ("HTTP_COOKIE", True),
        ("refresh_token", True),
        ("csrfmiddlewaretoken", True),
        ("signing_key", True),
        ("username", False),
        ("request_id", False),
        ("security_event", False),
        (42, False),
    ],
)
def test_is_sensitive_key(key: Any, sensitive: bool) -> None:
    assert is_sensitive_key(key) is sensitive


def test_redact_value_walks_containers() -> None:
    value = {
        "password": "hunter2",
        "nested": [{"token": "t0k3n"}, ("Bearer abcdef",)],
        "count": 3,
        "flag": True,
        "none": None,
        "raw": b"secret=xyz",
        "object": object,
    }
    result = redact_value(value, [])
    assert result["password"] == REDACTED
    assert result["nested"][0]["token"] == REDACTED
    assert result["nested"][1] == ("Bearer [REDACTED]",)
    assert result["count"] == 3
    assert result["flag"] is True
    assert result["none"] is None
    assert result["raw"] == "secret=[REDACTED]"
    assert result["object"] is object


def make_record(msg: Any, args: Any = (), **extra: Any) -> logging.LogRecord:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_filter_redacts_message_args_and_extra() -> None:
    record = make_record(
        "login %s with %s",
        ("alice", {"password": "hunter2"}),
        password="hunter2",
        headers={"Authorization": "Bearer abc", "Accept": "application/json"},
        note="token=t0k3n",
    )
    assert RedactingFilter().filter(record)
    assert "hunter2" not in record.getMessage()
    assert record.args == ()
    assert record.password == REDACTED  # type: ignore[attr-defined]
    assert record.headers == {"Authorization": REDACTED, "Accept": "application/json"}  # type: ignore[attr-defined]
    assert record.note == "token=[REDACTED]"  # type: ignore[attr-defined]


def _raise(exc: Exception) -> None:
    raise exc


def test_filter_redacts_tracebacks_and_stacks() -> None:
    try:
        _raise(ValueError(f"bad header Authorization: Bearer {JWT}"))
    except ValueError:
        record = make_record("failed")
        record.exc_info = sys.exc_info()
    record.stack_info = "Stack:\n  password=hunter2"
    RedactingFilter().filter(record)
    assert record.exc_text is not None
    assert JWT not in record.exc_text
    assert "ValueError" in record.exc_text
    assert "hunter2" not in record.stack_info
    # A formatter prints the redacted text rather than formatting the exception again.
    assert JWT not in logging.Formatter().format(record)


def test_filter_redacts_a_preformatted_traceback() -> None:
    record = make_record("failed")
    record.exc_text = "Traceback...\nRuntimeError: secret=abc"
    RedactingFilter().filter(record)
    assert record.exc_text == "Traceback...\nRuntimeError: secret=[REDACTED]"


def test_filter_handles_non_string_messages() -> None:
    record = make_record({"password": "hunter2"})
    RedactingFilter().filter(record)
    assert "hunter2" not in record.getMessage()


# --- the attack: credentials through the testproject, every log line captured -----------------


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Every record of every logger, through the filters and formatter harden() installs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonLinesFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.mark.django_db
def test_no_credential_reaches_any_log(log_lines: io.StringIO) -> None:
    cache.clear()
    password = "correct-horse-battery-9"
    get_user_model().objects.create_user("alice", password=password)
    client = Client(raise_request_exception=False)
    wrong = client.post(
        "/api/auth/login/",
        {"username": "alice", "password": "wrong-password-guess-7"},
        content_type="application/json",
    )
    assert wrong.status_code == 401
    login = client.post(
        "/api/auth/login/",
        {"username": "alice", "password": password},
        content_type="application/json",
    )
    tokens = login.json()
    access = tokens["access"]
    refresh = tokens.get("refresh") or login.cookies.get("refresh", "")
    forged = access[:-4] + "AAAA"
    client.get("/api/notes/", HTTP_AUTHORIZATION=f"Bearer {forged}")
    client.get("/api/notes/", HTTP_AUTHORIZATION=f"Bearer {access}", HTTP_COOKIE="sessionid=s3ss")
    client.post(
        "/api/notes/",
        {"title": ["bad"], "password": "field-value-secret"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {access}",
    )
    client.post(
        "/api/notes/", "{broken", content_type="application/json", HTTP_AUTHORIZATION="Bearer x"
    )
    client.get("/api/no-such-route/?token=query-token-value")
    logging.getLogger("django_apisec.test").error(
        "leaky %s", {"password": password, "Authorization": f"Bearer {access}"}
    )

    text = log_lines.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert any(line.get("event") == "authentication_failed" for line in lines)
    assert any(line.get("event") == "validation_failed" for line in lines)
    for secret in [
        password,
        "wrong-password-guess-7",
        access,
        forged,
        "field-value-secret",
        "query-token-value",
        "s3ss",
        settings.SECRET_KEY,
        settings.SIMPLE_JWT["SIGNING_KEY"],
        *([refresh] if refresh else []),
    ]:
        assert secret not in text
