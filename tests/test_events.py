"""Security events: ``record()``, the signal, the JSON-lines formatter, the default LOGGING, and
the events the exception handler records."""

from __future__ import annotations

import io
import json
import logging
import sys
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.test import Client, RequestFactory
from django.urls import path
from django.utils.module_loading import import_string
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken

from django_apisec.http.exception_handler import _code
from django_apisec.observability import events
from django_apisec.observability.formatting import JsonLinesFormatter, default_logging
from django_apisec.ownership.permissions import public
from django_apisec.request.request_id import bind, unbind
from django_apisec.signals import security_event

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rest_framework.response import Response


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


@pytest.fixture
def received() -> Iterator[list[dict[str, Any]]]:
    captured: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        captured.append(kwargs)

    security_event.connect(receiver)
    yield captured
    security_event.disconnect(receiver)


def security_records(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        r.security_event  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == events.SECURITY_LOGGER
    ]


# --- record() ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_record_logs_and_signals(
    caplog: pytest.LogCaptureFixture, received: list[dict[str, Any]]
) -> None:
    user = get_user_model().objects.create_user("carol", password="carol-password-123")
    request = RequestFactory().post(
        "/api/auth/login/", REMOTE_ADDR="203.0.113.9", HTTP_X_REQUEST_ID="rid-1"
    )
    with caplog.at_level(logging.INFO, logger=events.SECURITY_LOGGER):
        event = events.record(
            events.AUTHENTICATION_SUCCEEDED,
            request=request,
            user=user,
            outcome=events.SUCCESS,
            method_used="password",
            event="forged",
        )
    [logged] = [r for r in caplog.records if r.name == events.SECURITY_LOGGER]
    assert logged.levelno == logging.INFO
    assert logged.getMessage() == "authentication_succeeded success"
    payload = logged.security_event  # type: ignore[attr-defined]
    assert payload == event.as_dict()
    assert payload["event"] == "authentication_succeeded"  # a field cannot replace a fixed key
    assert payload["request_id"] == "rid-1"
    assert payload["client_ip"] == "203.0.113.9"
    assert payload["user_id"] == str(user.pk)
    assert payload["path"] == "/api/auth/login/"
    assert payload["method"] == "POST"
    assert payload["method_used"] == "password"
    assert payload["time"].endswith("+00:00")
    [signal] = received
    assert signal["sender"] is events.SecurityEvent
    assert signal["event"] is event
    assert signal["request"] is request
    assert signal["user"] is user


def test_failures_are_warnings(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=events.SECURITY_LOGGER):
        events.record(events.AUTHENTICATION_FAILED, outcome=events.FAILURE)
    [logged] = [r for r in caplog.records if r.name == events.SECURITY_LOGGER]
    assert logged.levelno == logging.WARNING


def test_record_outside_a_request_uses_the_bound_id() -> None:
    assert events.record(events.TOKEN_REUSED, outcome=events.BLOCKED).request_id is None
    token = bind(RequestFactory().get("/", HTTP_X_REQUEST_ID="ctx-id"))
    try:
        event = events.record(events.TOKEN_REUSED, outcome=events.BLOCKED)
    finally:
        unbind(token)
    assert event.request_id == "ctx-id"
    assert event.client_ip is None
    assert event.path is None


@pytest.mark.django_db
def test_user_comes_from_the_request() -> None:
    user = get_user_model().objects.create_user("dave", password="dave-password-123")
    django_request = RequestFactory().get("/api/x/")
    django_request.user = user
    assert events.record(events.THROTTLED, request=django_request, outcome="blocked").user_id == (
        str(user.pk)
    )
    drf_request = Request(RequestFactory().get("/api/x/"))
    drf_request._user = user
    assert events.record(events.THROTTLED, request=drf_request, outcome="blocked").user_id == (
        str(user.pk)
    )
    anonymous = RequestFactory().get("/api/x/")
    anonymous.user = AnonymousUser()
    assert events.record(events.THROTTLED, request=anonymous, outcome="x").user_id is None


def test_user_without_pk() -> None:
    class Service:
        is_authenticated = True
        pk = None

    assert events.record(events.THROTTLED, user=Service(), outcome="x").user_id is None


def test_event_types_are_distinct() -> None:
    # 13 + the six MFA events + recovery_codes_regenerated and passkey_counter_regressed (issue 15)
    # + account_unlocked (issue 17)
    assert len(events.EVENT_TYPES) == 22


@pytest.mark.parametrize(
    ("errors", "names"),
    [
        ({"title": ["required"], "body": ["too long"]}, ["title", "body"]),
        ({"project": {"name": ["bad"]}}, ["project.name"]),
        ([{"title": ["x"]}, {}, {"title": ["y"], "done": ["z"]}], ["title", "done"]),
        (["Bad combination."], []),
        ({"x" * 100: ["bad"]}, ["x" * events.MAX_FIELD_NAME_LENGTH]),
        ({f"f{i}": ["bad"] for i in range(50)}, [f"f{i}" for i in range(20)]),
    ],
)
def test_field_names_never_values(errors: Any, names: list[str]) -> None:
    assert events.field_names(errors) == names


# --- the formatter and the default LOGGING ----------------------------------------------------


def test_formatter_writes_one_json_line() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "two\nlines %s", ("a",), None)
    record.request_id = "r1"
    line = JsonLinesFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "two\nlines a"
    assert data["level"] == "WARNING"
    assert data["logger"] == "x"
    assert data["request_id"] == "r1"


def test_an_event_field_never_replaces_the_line_s_own() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "m", (), None)
    record.security_event = {"event": "e", "level": 1, "logger": "y", "wait": 60}
    data = json.loads(JsonLinesFormatter().format(record))
    assert (data["level"], data["logger"]) == ("WARNING", "x")
    assert (data["event"], data["wait"]) == ("e", 60)


def _raise(exc: Exception) -> None:
    raise exc


def test_formatter_adds_event_exception_and_stack() -> None:
    try:
        _raise(ValueError("boom"))
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "m", (), exc_info)
    record.stack_info = "Stack (most recent call last):\n  here"
    record.event = "owner_bypass"
    data = json.loads(JsonLinesFormatter().format(record))
    assert data["event"] == "owner_bypass"
    assert "ValueError: boom" in data["exception"]
    assert "here" in data["stack"]
    assert data["request_id"] is None


def test_formatter_uses_the_security_event_payload() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    record.security_event = {"event": "throttled", "outcome": "blocked", "wait": object()}
    data = json.loads(JsonLinesFormatter().format(record))
    assert data["event"] == "throttled"
    assert data["outcome"] == "blocked"
    assert data["wait"].startswith("<object")


def test_default_logging_builds_a_redacting_json_handler() -> None:
    # Built by hand: dictConfig() would replace the test run's own logging configuration.
    config = default_logging()
    handler_config = config["handlers"]["apisec_stderr"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    formatter_path = config["formatters"][handler_config["formatter"]]["()"]
    handler.setFormatter(import_string(formatter_path)())
    for name in handler_config["filters"]:
        handler.addFilter(import_string(config["filters"][name]["()"])())
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "password=%s", ("hunter2",), None)
    handler.handle(record)
    data = json.loads(stream.getvalue())
    assert data["message"] == "password=[REDACTED]"
    assert data["request_id"] == "-"
    assert config["handlers"]["apisec_stderr_errors"]["level"] == "ERROR"
    assert set(config["loggers"]) == {"django_apisec", "django.security", "django.request"}
    assert config["disable_existing_loggers"] is False


def test_harden_installs_logging_only_without_one() -> None:
    from django_apisec.hardening import harden

    namespace: dict[str, Any] = {"SECRET_KEY": "k" * 60}
    harden(namespace, profile="development", environ={})
    assert namespace["LOGGING"] == default_logging()
    own = {"version": 1}
    namespace = {"SECRET_KEY": "k" * 60, "LOGGING": own}
    harden(namespace, profile="development", environ={})
    assert namespace["LOGGING"] is own


# --- events recorded by the exception handler -------------------------------------------------

RAISED: dict[str, Exception] = {
    "authentication_failed": exceptions.AuthenticationFailed(),
    "invalid_token": InvalidToken(),
    "not_authenticated": exceptions.NotAuthenticated(),
    "permission_denied": exceptions.PermissionDenied(),
    "django_permission_denied": DjangoPermissionDenied(),
    "validation": exceptions.ValidationError({"password": ["hunter2 is too common"]}),
    "throttled": exceptions.Throttled(wait=9),
    "parse": exceptions.ParseError(),
    "media": exceptions.UnsupportedMediaType("text/xml"),
    "not_found": exceptions.NotFound(),
}


@public
class RaisingView(APIView):
    def get(self, request: Request, name: str) -> Response:
        raise RAISED[name]


urlpatterns = [path("api/raise/<str:name>/", RaisingView.as_view())]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("name", "event_type", "outcome", "extra"),
    [
        (
            "authentication_failed",
            "authentication_failed",
            "failure",
            {"code": "authentication_failed"},
        ),
        ("invalid_token", "authentication_failed", "failure", {"code": "token_not_valid"}),
        ("not_authenticated", "authorization_denied", "denied", {"code": "not_authenticated"}),
        ("permission_denied", "authorization_denied", "denied", {"code": "permission_denied"}),
        (
            "django_permission_denied",
            "authorization_denied",
            "denied",
            {"code": "permission_denied"},
        ),
        ("validation", "validation_failed", "failure", {"fields": ["password"]}),
        ("throttled", "throttled", "blocked", {"wait": 9}),
        ("parse", "input_rejected", "blocked", {"code": "parse_error"}),
        ("media", "input_rejected", "blocked", {"code": "unsupported_media_type"}),
    ],
)
def test_handler_records_the_event(
    caplog: pytest.LogCaptureFixture,
    name: str,
    event_type: str,
    outcome: str,
    extra: dict[str, Any],
) -> None:
    with caplog.at_level(logging.INFO, logger=events.SECURITY_LOGGER):
        Client().get(f"/api/raise/{name}/", REMOTE_ADDR="198.51.100.7")
    [payload] = security_records(caplog)
    assert payload["event"] == event_type
    assert payload["outcome"] == outcome
    assert payload["client_ip"] == "198.51.100.7"
    assert payload["path"] == f"/api/raise/{name}/"
    for key, value in extra.items():
        assert payload[key] == value
    # A validation failure names the field, never the submitted value.
    assert "hunter2" not in json.dumps(payload)


@pytest.mark.urls(__name__)
def test_not_found_records_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=events.SECURITY_LOGGER):
        Client().get("/api/raise/not_found/")
    assert security_records(caplog) == []


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (exceptions.APIException({"a": "b"}), "error"),
        (exceptions.ValidationError(["x"]), "invalid"),
        (DjangoPermissionDenied(), "permission_denied"),
    ],
)
def test_code_of_unusual_exceptions(exc: Exception, code: str) -> None:
    assert _code(exc) == code
