"""The API exception handler: one error shape, generic 404s and 500s, request ids."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.signals import got_request_exception
from django.db import connection
from django.http import Http404
from django.test import Client, RequestFactory
from django.urls import path
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken

from django_apisec.http.exception_handler import exception_handler, request_id
from django_apisec.jwt.families import start_session
from django_apisec.ownership.permissions import public
from testproject.api.models import Note

if TYPE_CHECKING:
    from rest_framework.response import Response

SECRET_DETAIL = "password=hunter2 at /srv/app/internal.py line 42"
UUID_HEX = re.compile(r"[0-9a-f]{32}")

RAISED: dict[str, Exception] = {
    "parse": exceptions.ParseError(),
    "authentication_failed": exceptions.AuthenticationFailed(),
    "not_authenticated": exceptions.NotAuthenticated(),
    "permission_denied": exceptions.PermissionDenied(),
    "django_permission_denied": DjangoPermissionDenied(),
    "not_found": exceptions.NotFound(),
    "http404": Http404("No Note matches the given query."),
    "method": exceptions.MethodNotAllowed("PATCH"),
    "not_acceptable": exceptions.NotAcceptable(),
    "media": exceptions.UnsupportedMediaType("text/xml"),
    "throttled": exceptions.Throttled(wait=7),
    "invalid_token": InvalidToken(),
    "field_errors": exceptions.ValidationError({"title": ["This field is required."]}),
    "list_errors": exceptions.ValidationError("Bad combination."),
    "dict_detail": exceptions.APIException({"quota": "exceeded"}),
    "unhandled": RuntimeError(SECRET_DETAIL),
}


@public
class RaisingView(APIView):
    """Raises the exception named in the URL."""

    def get(self, request: Request, name: str) -> Response:
        raise RAISED[name]


urlpatterns = [path("raise/<str:name>/", RaisingView.as_view())]


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    # Throttle counters live in the local memory cache and would leak between tests.
    cache.clear()


@pytest.fixture
def client() -> Client:
    """A client that returns 500 responses instead of re-raising the view's exception."""
    return Client(raise_request_exception=False)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("name", "status", "body"),
    [
        ("parse", 400, {"detail": "Malformed request.", "code": "parse_error"}),
        (
            "authentication_failed",
            401,
            {"detail": "Incorrect authentication credentials.", "code": "authentication_failed"},
        ),
        (
            "not_authenticated",
            401,
            {
                "detail": "Authentication credentials were not provided.",
                "code": "not_authenticated",
            },
        ),
        (
            "permission_denied",
            403,
            {
                "detail": "You do not have permission to perform this action.",
                "code": "permission_denied",
            },
        ),
        (
            "django_permission_denied",
            403,
            {
                "detail": "You do not have permission to perform this action.",
                "code": "permission_denied",
            },
        ),
        ("not_found", 404, {"detail": "Not found.", "code": "not_found"}),
        ("http404", 404, {"detail": "Not found.", "code": "not_found"}),
        ("method", 405, {"detail": 'Method "PATCH" not allowed.', "code": "method_not_allowed"}),
        (
            "not_acceptable",
            406,
            {"detail": "Could not satisfy the request Accept header.", "code": "not_acceptable"},
        ),
        (
            "media",
            415,
            {
                "detail": 'Unsupported media type "text/xml" in request.',
                "code": "unsupported_media_type",
            },
        ),
        (
            "invalid_token",
            401,
            {"detail": "Token is invalid or expired", "code": "token_not_valid"},
        ),
    ],
)
def test_every_drf_error_is_detail_and_code(
    client: Client, name: str, status: int, body: dict[str, Any]
) -> None:
    response = client.get(f"/raise/{name}/")
    assert response.status_code == status
    assert response.json() == body


@pytest.mark.urls(__name__)
def test_throttled_keeps_retry_after(client: Client) -> None:
    response = client.get("/raise/throttled/")
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert body["code"] == "throttled"
    assert response["Retry-After"] == "7"


@pytest.mark.urls(__name__)
def test_field_validation_errors(client: Client) -> None:
    response = client.get("/raise/field_errors/")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "code": "invalid",
        "errors": {"title": ["This field is required."]},
    }


@pytest.mark.urls(__name__)
def test_non_field_validation_errors(client: Client) -> None:
    response = client.get("/raise/list_errors/")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "code": "invalid",
        "errors": ["Bad combination."],
    }


@pytest.mark.urls(__name__)
def test_error_without_a_detail_key(client: Client) -> None:
    response = client.get("/raise/dict_detail/")
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Request failed.",
        "code": "error",
        "errors": {"quota": "exceeded"},
    }


@pytest.mark.urls(__name__)
def test_unhandled_exception_is_a_generic_500(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    received: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        received.append(kwargs)

    got_request_exception.connect(receiver)
    try:
        with caplog.at_level(logging.ERROR, logger="django_apisec.http.errors"):
            response = client.get("/raise/unhandled/")
    finally:
        got_request_exception.disconnect(receiver)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "code", "request_id"}
    assert body["detail"] == "Internal server error"
    assert body["code"] == "server_error"
    assert UUID_HEX.fullmatch(body["request_id"])
    # Nothing of the exception reaches the client...
    content = response.content.decode()
    assert "hunter2" not in content
    assert "RuntimeError" not in content
    assert "internal.py" not in content
    # ...it is logged server-side, with the id the client got.
    records = [r for r in caplog.records if r.name == "django_apisec.http.errors"]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert records[0].request_id == body["request_id"]  # type: ignore[attr-defined]
    assert body["request_id"] in records[0].getMessage()
    assert "RaisingView" in records[0].getMessage()
    assert records[0].exc_info is not None
    assert records[0].exc_info[1] is RAISED["unhandled"]
    # Error reporters hear about it.
    assert len(received) == 1
    assert received[0]["sender"] is None
    assert received[0]["request"].path == "/raise/unhandled/"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("good", ["abc-123", "0f1e2d3c.trace_ID", "a" * 64])
def test_well_formed_request_id_is_kept(client: Client, good: str) -> None:
    response = client.get("/raise/unhandled/", HTTP_X_REQUEST_ID=good)
    assert response.json()["request_id"] == good


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    "bad",
    ["", "has space", "<script>alert(1)</script>", "a" * 65, "line\nbreak", "ünïcode", "id;drop"],
)
def test_malformed_request_id_is_replaced(client: Client, bad: str) -> None:
    # A client-chosen id lands in logs: only a short, plain token is believed.
    response = client.get("/raise/unhandled/", HTTP_X_REQUEST_ID=bad)
    rid = response.json()["request_id"]
    assert rid != bad
    assert UUID_HEX.fullmatch(rid)


def test_request_id_is_stable_for_one_request() -> None:
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="bad value")
    first = request_id(request)
    assert UUID_HEX.fullmatch(first)
    assert request_id(request) == first


def test_request_id_without_a_request() -> None:
    first, second = request_id(None), request_id(None)
    assert UUID_HEX.fullmatch(first)
    assert first != second


def test_handler_without_request_or_view() -> None:
    with mock.patch("django_apisec.http.exception_handler.got_request_exception") as signal:
        response = exception_handler(RuntimeError("boom"), {})
    assert response.status_code == 500
    assert UUID_HEX.fullmatch(response.data["request_id"])
    signal.send.assert_called_once_with(sender=None, request=None)


@pytest.mark.django_db
def test_unhandled_exception_rolls_back_atomic_requests() -> None:
    request = Request(RequestFactory().get("/"))
    with mock.patch.dict(connection.settings_dict, {"ATOMIC_REQUESTS": True}):
        assert connection.in_atomic_block
        assert not connection.get_rollback()
        exception_handler(RuntimeError("half-done write"), {"request": request, "view": None})
        assert connection.get_rollback()
        connection.set_rollback(False)


# --- through the testproject API ------------------------------------------------------------


def bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {start_session(user).access}"}


@pytest.mark.django_db
def test_another_users_note_is_a_404_identical_to_a_missing_one(client: Client) -> None:
    users = get_user_model().objects
    alice = users.create_user("alice", password="alice-password-123")
    bob = users.create_user("bob", password="bob-password-1234")
    Note.objects.create(owner=alice, title="alice's")
    bobs = Note.objects.create(owner=bob, title="bob's secret")
    missing = Note.objects.order_by("-id").first().id + 1000  # type: ignore[union-attr]

    foreign = client.get(f"/api/notes/{bobs.id}/", **bearer(alice))
    absent = client.get(f"/api/notes/{missing}/", **bearer(alice))

    assert foreign.status_code == absent.status_code == 404
    assert foreign.content == absent.content
    assert foreign.json() == {"detail": "Not found.", "code": "not_found"}
    assert b"Note" not in foreign.content
    # Bob still sees his own note.
    assert client.get(f"/api/notes/{bobs.id}/", **bearer(bob)).status_code == 200


@pytest.mark.django_db
def test_validation_error_through_the_api(client: Client) -> None:
    alice = get_user_model().objects.create_user("alice", password="alice-password-123")
    response = client.post("/api/notes/", {}, content_type="application/json", **bearer(alice))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"] == "Invalid input."
    assert set(body["errors"]) == {"title"}


@pytest.mark.django_db
def test_anonymous_error_through_the_api(client: Client) -> None:
    response = client.get("/api/notes/")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }
