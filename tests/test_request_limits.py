"""Request limits: 413 before the body is read, JSON depth/size/number/NUL limits, 415, and no
input that makes the testproject API answer 500."""

from __future__ import annotations

import asyncio
import io
import json
from typing import TYPE_CHECKING, Any

import pytest
from django.core.cache import cache
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import AsyncClient, Client, RequestFactory, override_settings
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from django_apisec.conf import (
    DEFAULT_JSON_MAX_DEPTH,
    DEFAULT_JSON_MAX_ITEMS,
    DEFAULT_MAX_BODY_SIZE,
    apisec_settings,
)
from django_apisec.http.body import (
    BodyLimitExceeded,
    BoundedBodyStream,
    announced_length,
    enforce_body_limit,
    exceeded_while_reading,
)
from django_apisec.http.middleware import ApiSecurityMiddleware
from django_apisec.http.parsers import MAX_INTEGER, MIN_INTEGER, JSONParser, check_structure
from django_apisec.jwt.families import start_session
from django_apisec.ownership.permissions import public
from testproject.api.models import Project
from tests.hostile_input import HOSTILE_URLS, WRONG_TYPES

if TYPE_CHECKING:
    from rest_framework.request import Request

TOO_LARGE = {"detail": "Request body too large.", "code": "request_too_large"}


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


class CountingStream(io.BytesIO):
    """Remembers how many bytes were read from it."""

    taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


class Unreadable(io.RawIOBase):
    """A body stream that fails the test if anything reads it."""

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body was read")

    readline = read  # type: ignore[assignment]


def body_request(
    body: bytes = b"", *, path: str = "/api/x/", announce: bool = True, stream: Any = None
) -> HttpRequest:
    request = RequestFactory().post(path, body, content_type="application/json")
    if not announce:
        request.META.pop("CONTENT_LENGTH", None)
        request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    if stream is not None:
        request._stream = stream  # type: ignore[attr-defined]
    return request


def reading_view(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"length": len(request.body)})


# --- the body limit ---------------------------------------------------------------------------


@override_settings(APISEC_MAX_BODY_SIZE=100)
def test_announced_body_over_the_limit_is_refused_unread() -> None:
    called = []
    middleware = ApiSecurityMiddleware(lambda request: called.append(1) or JsonResponse({}))
    request = body_request(b"x" * 101, stream=Unreadable())
    response = middleware(request)
    assert response.status_code == 413
    assert json.loads(response.content) == TOO_LARGE
    assert called == []


@override_settings(APISEC_MAX_BODY_SIZE=100)
def test_announced_body_at_the_limit_passes() -> None:
    middleware = ApiSecurityMiddleware(reading_view)
    response = middleware(body_request(b"x" * 100))
    assert json.loads(response.content) == {"length": 100}


@override_settings(APISEC_MAX_BODY_SIZE=100)
def test_limit_applies_only_under_the_api_prefix() -> None:
    middleware = ApiSecurityMiddleware(reading_view)
    response = middleware(body_request(b"x" * 101, path="/site/x/"))
    assert json.loads(response.content) == {"length": 101}


@override_settings(APISEC_MAX_BODY_SIZE=100)
def test_announced_body_over_the_limit_async() -> None:
    response = asyncio.run(
        AsyncClient().post("/api/notes/", b"x" * 101, content_type="application/json")
    )
    assert response.status_code == 413
    assert response.json() == TOO_LARGE


@override_settings(APISEC_MAX_BODY_SIZE=100)
def test_api_body_over_the_limit_through_the_stack(client: Client) -> None:
    response = client.post("/api/notes/", b"x" * 101, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert response["Cache-Control"] == "no-store"


@override_settings(APISEC_MAX_BODY_SIZE=100)
@pytest.mark.parametrize("size", [101, 10_000])
def test_streamed_body_stops_at_the_limit(size: int) -> None:
    underlying = CountingStream(b"x" * size)
    middleware = ApiSecurityMiddleware(convert_exception_to_response(reading_view))
    response = middleware(body_request(announce=False, stream=underlying))
    assert response.status_code == 413
    assert json.loads(response.content) == TOO_LARGE
    # Reading stopped one byte past the limit: the rest was never buffered.
    assert underlying.taken == 101


@override_settings(APISEC_MAX_BODY_SIZE=100)
def test_streamed_body_within_the_limit_is_read() -> None:
    middleware = ApiSecurityMiddleware(reading_view)
    response = middleware(body_request(announce=False, stream=io.BytesIO(b"x" * 100)))
    assert json.loads(response.content) == {"length": 100}


@override_settings(APISEC_MAX_BODY_SIZE=100)
def test_streamed_body_over_the_limit_async() -> None:
    async def view(request: HttpRequest) -> HttpResponse:
        return reading_view(request)

    request = body_request(announce=False, stream=io.BytesIO(b"x" * 500))
    middleware = ApiSecurityMiddleware(convert_exception_to_response(view))
    response = asyncio.run(middleware(request))
    assert response.status_code == 413


@override_settings(APISEC_MAX_BODY_SIZE=100)
def test_content_length_with_chunked_is_counted() -> None:
    # Both headers: the length is not trusted, the bytes are counted.
    request = body_request(b"x" * 50)
    request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    request._stream = io.BytesIO(b"x" * 500)  # type: ignore[attr-defined]
    middleware = ApiSecurityMiddleware(convert_exception_to_response(reading_view))
    assert middleware(request).status_code == 413


@public
class BodyView(APIView):
    """Reads ``request.body`` itself, where Django's own size check applies."""

    def post(self, request: Request) -> Response:
        return Response({"length": len(request.body)})


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10, APISEC_MAX_BODY_SIZE=1000)
def test_djangos_own_size_error_in_a_drf_view_is_a_413() -> None:
    request = RequestFactory().post("/x/", b"x" * 50, content_type="application/json")
    response = BodyView.as_view()(request)
    assert response.status_code == 413
    assert response.data == TOO_LARGE


def test_bounded_stream_reads() -> None:
    request = HttpRequest()
    stream = BoundedBodyStream(io.BytesIO(b"ab\ncd\nef"), 8, request)
    assert stream.read(2) == b"ab"
    assert stream.readline() == b"\n"
    assert not stream.seekable()
    assert list(stream) == [b"cd\n", b"ef"]
    assert stream.read() == b""
    assert not exceeded_while_reading(request)
    stream.close()


def test_bounded_stream_refuses_past_the_limit() -> None:
    request = HttpRequest()
    stream = BoundedBodyStream(io.BytesIO(b"line one\nline two\n"), 10, request)
    assert stream.readline() == b"line one\n"
    with pytest.raises(BodyLimitExceeded):
        stream.readline()
    assert exceeded_while_reading(request)


def test_closing_the_bounded_stream_closes_the_underlying_one_when_it_can() -> None:
    class NoClose:
        def read(self, size: int) -> bytes:
            return b""

    closable = io.BytesIO(b"body")
    BoundedBodyStream(closable, 10, HttpRequest()).close()
    assert closable.closed
    # A stream without close() (some WSGI servers' input) is left alone, without an error.
    without_close = NoClose()
    BoundedBodyStream(without_close, 1, HttpRequest()).close()
    assert not hasattr(without_close, "close")


@pytest.mark.parametrize(
    ("raw", "expected"), [("12", 12), ("0", 0), ("", None), ("-1", None), ("x", None)]
)
def test_announced_length(raw: str, expected: int | None) -> None:
    request = HttpRequest()
    request.META["CONTENT_LENGTH"] = raw
    assert announced_length(request) == expected


@pytest.mark.parametrize(
    ("own", "django_limit", "expected"),
    [
        (None, 1000, 1000),
        (5000, 1000, 5000),
        (None, None, DEFAULT_MAX_BODY_SIZE),
        (0, None, DEFAULT_MAX_BODY_SIZE),
        (-5, 10, 10),
        ("big", 10, 10),
        (True, 10, 10),
    ],
)
def test_max_body_size_setting(own: Any, django_limit: Any, expected: int) -> None:
    with override_settings(APISEC_MAX_BODY_SIZE=own, DATA_UPLOAD_MAX_MEMORY_SIZE=django_limit):
        size = apisec_settings.MAX_BODY_SIZE
    assert size == expected


@pytest.mark.parametrize("value", [None, 0, -1, "3", 2.5, False])
def test_json_limit_settings_fall_back(value: Any) -> None:
    with override_settings(APISEC_JSON_MAX_DEPTH=value, APISEC_JSON_MAX_ITEMS=value):
        assert apisec_settings.JSON_MAX_DEPTH == DEFAULT_JSON_MAX_DEPTH
        assert apisec_settings.JSON_MAX_ITEMS == DEFAULT_JSON_MAX_ITEMS
    with override_settings(APISEC_JSON_MAX_DEPTH=3, APISEC_JSON_MAX_ITEMS=7):
        assert apisec_settings.JSON_MAX_DEPTH == 3
        assert apisec_settings.JSON_MAX_ITEMS == 7


# --- the JSON parser --------------------------------------------------------------------------


def parse(body: bytes | str) -> Any:
    raw = body.encode() if isinstance(body, str) else body
    return JSONParser().parse(io.BytesIO(raw), "application/json", {})


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def parse_code(body: bytes | str) -> str:
    with pytest.raises(ParseError) as info:
        parse(body)
    return str(info.value.get_codes())


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (nested(DEFAULT_JSON_MAX_DEPTH + 1), "json_too_deep"),
        (nested(100_000), "json_too_deep"),  # RecursionError inside the C decoder
        ('{"a": ' * 40 + "1" + "}" * 40, "json_too_deep"),
        (json.dumps(list(range(DEFAULT_JSON_MAX_ITEMS + 1))), "json_too_large"),
        (json.dumps({str(i): i for i in range(DEFAULT_JSON_MAX_ITEMS + 1)}), "json_too_large"),
        ('{"title": "a\\u0000b"}', "null_character"),
        ('{"a\\u0000": 1}', "null_character"),
        ('[["\\u0000"]]', "null_character"),
        (str(MAX_INTEGER + 1), "number_out_of_range"),
        (str(MIN_INTEGER - 1), "number_out_of_range"),
        ('{"id": 1e999}', "number_out_of_range"),
        ('{"id": -1e999}', "number_out_of_range"),
        ("9" * 5000, "parse_error"),  # past Python's int digit limit
        ('{"id": NaN}', "parse_error"),
        ('{"id": Infinity}', "parse_error"),
        ('{"a": 1', "parse_error"),
        (b"\xff\xfe", "parse_error"),
        ("", "parse_error"),
    ],
)
def test_parser_limits(body: str | bytes, code: str) -> None:
    assert parse_code(body) == code


@pytest.mark.parametrize(
    "document",
    [
        json.loads(nested(DEFAULT_JSON_MAX_DEPTH)),
        list(range(DEFAULT_JSON_MAX_ITEMS)),
        {"n": MAX_INTEGER, "m": MIN_INTEGER, "f": 1.5e300, "s": "caf\u00e9", "t": None},
        "just a string",
        7,
    ],
)
def test_parser_accepts_documents_within_the_limits(document: Any) -> None:
    assert parse(json.dumps(document)) == document


@override_settings(REST_FRAMEWORK={"STRICT_JSON": False})
def test_non_strict_json_accepts_nan() -> None:
    from rest_framework.settings import api_settings

    api_settings.reload()
    try:
        assert parse('{"x": NaN}')["x"] != parse('{"x": NaN}')["x"]  # NaN != NaN
    finally:
        api_settings.reload()


def test_parser_uses_the_settings() -> None:
    with override_settings(APISEC_JSON_MAX_DEPTH=2, APISEC_JSON_MAX_ITEMS=3):
        assert parse("[[1]]") == [[1]]
        assert parse_code("[[[1]]]") == "json_too_deep"
        assert parse_code("[1, 2, 3, 4]") == "json_too_large"


def test_check_structure_counts_scalars_as_depth_zero() -> None:
    for scalar in ("x", 1, 1.5, None, True):
        check_structure(scalar, max_depth=0, max_items=0)  # no container: depth 0, no items
    for container in ([], {"k": "v"}):
        check_structure(container, max_depth=1, max_items=1)
        with pytest.raises(ParseError) as info:
            check_structure(container, max_depth=0, max_items=1)
        assert info.value.get_codes() == "json_too_deep"


# --- through the testproject API --------------------------------------------------------------


@pytest.fixture
def auth(alice: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {start_session(alice).access}"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (nested(1000), 400, "json_too_deep"),
        (nested(200_000), 400, "json_too_deep"),
        ('{"title": "nul\\u0000byte"}', 400, "null_character"),
        ('{"title": "t", "body": 1e999}', 400, "number_out_of_range"),
        ('{"title": ', 400, "parse_error"),
    ],
)
def test_api_json_limits(
    client: Client, auth: dict[str, str], body: str, status: int, code: str
) -> None:
    response = client.post("/api/notes/", body, content_type="application/json", **auth)
    assert response.status_code == status
    assert response.json()["code"] == code


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", "title=x"),
        ("application/xml", "<note/>"),
        ("application/x-www-form-urlencoded", "title=x"),
        ("multipart/form-data; boundary=b", "--b--"),
    ],
)
def test_api_unsupported_media_type(
    client: Client, auth: dict[str, str], content_type: str, body: str
) -> None:
    response = client.post("/api/notes/", body, content_type=content_type, **auth)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.django_db
@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_urls_are_never_a_500(client: Client, auth: dict[str, str], url: str) -> None:
    response = client.get(url, **auth)
    assert response.status_code < 500, response.content
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "payload"), WRONG_TYPES)
def test_wrong_types_are_a_400(
    client: Client, auth: dict[str, str], url: str, payload: Any
) -> None:
    response = client.post(url, json.dumps(payload), content_type="application/json", **auth)
    assert response.status_code == 400, response.content
    assert response.json()["code"] in {"invalid", "parse_error"}


@pytest.mark.django_db
def test_valid_task_still_works(client: Client, auth: dict[str, str], alice: Any) -> None:
    project = Project.objects.create(owner=alice, name="p")
    response = client.post(
        "/api/tasks/",
        json.dumps({"project": project.id, "title": "t"}),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201, response.content


def test_request_without_a_stream_is_left_alone() -> None:
    request = HttpRequest()
    assert enforce_body_limit(request)
    assert not hasattr(request, "_stream")
