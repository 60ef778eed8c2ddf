"""``ApiSecurityMiddleware``: API headers, request ids in responses and logs, JSON error pages."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.test import AsyncClient, Client, RequestFactory, override_settings
from django.urls import path

from django_apisec.conf import apisec_settings
from django_apisec.http.errors import csrf_failure, json_error_for
from django_apisec.http.middleware import API_CSP, PERMISSIONS_POLICY, ApiSecurityMiddleware
from django_apisec.request.request_id import (
    NO_REQUEST,
    RequestIdFilter,
    current_request_id,
    is_valid_request_id,
    request_id,
)

UUID_HEX = re.compile(r"[0-9a-f]{32}")
view_logger = logging.getLogger("tests.api_middleware")

API_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": API_CSP,
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Content-Type-Options": "nosniff",
}


def json_view(request: HttpRequest) -> HttpResponse:
    view_logger.info("in the view")
    return JsonResponse({"ok": True})


async def async_json_view(request: HttpRequest) -> HttpResponse:
    view_logger.info("in the async view")
    return JsonResponse({"ok": True})


def html_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<p>hi</p>", content_type="text/html")


def own_headers_view(request: HttpRequest) -> HttpResponse:
    response = JsonResponse({"ok": True})
    response["Cache-Control"] = "max-age=60"
    response["Content-Security-Policy"] = "default-src 'self'"
    return response


def crash_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("password=hunter2 in /srv/app/secret.py")


def forbidden_view(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def post_only_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return JsonResponse({"posted": True})


def teapot_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("I'm a teapot", status=418)


def bad_gateway_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("upstream down", status=502)


def streaming_error_view(request: HttpRequest) -> HttpResponseBase:
    return StreamingHttpResponse(iter([b"partial"]), status=500, content_type="text/plain")


def cookie_error_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("<h1>Bad</h1>", status=400)
    response.set_cookie("rotated", "1")
    return response


urlpatterns = [
    path("api/json/", json_view),
    path("api/async/", async_json_view),
    path("api/html/", html_view),
    path("api/own-headers/", own_headers_view),
    path("api/crash/", crash_view),
    path("api/forbidden/", forbidden_view),
    path("api/post-only/", post_only_view),
    path("api/teapot/", teapot_view),
    path("api/bad-gateway/", bad_gateway_view),
    path("api/streaming-error/", streaming_error_view),
    path("api/cookie-error/", cookie_error_view),
    path("v2/json/", json_view),
    path("site/json/", json_view),
    path("site/crash/", crash_view),
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


@pytest.fixture
def async_client() -> AsyncClient:
    return AsyncClient(raise_request_exception=False)


def assert_api_headers(response: HttpResponseBase) -> None:
    for header, value in API_HEADERS.items():
        assert response[header] == value, header


# --- headers ----------------------------------------------------------------------------------


def test_api_response_gets_every_header(client: Client) -> None:
    response = client.get("/api/json/")
    assert response.status_code == 200
    assert_api_headers(response)


def test_api_response_gets_every_header_async(async_client: AsyncClient) -> None:
    response = asyncio.run(async_client.get("/api/async/"))
    assert response.status_code == 200
    assert_api_headers(response)


def test_sync_view_under_asgi(async_client: AsyncClient) -> None:
    response = asyncio.run(async_client.get("/api/json/"))
    assert_api_headers(response)


def test_non_api_path_gets_no_api_headers(client: Client) -> None:
    response = client.get("/site/json/")
    assert response.status_code == 200
    assert response.get("Cache-Control") != "no-store"
    assert "Permissions-Policy" not in response
    assert "Cross-Origin-Resource-Policy" not in response
    # Django's own headers still apply there (SecurityMiddleware, the site-wide CSP).
    assert response["Content-Security-Policy"] != API_CSP


def test_html_api_response_keeps_the_site_csp(client: Client) -> None:
    # The browsable API is a page: it needs the site's CSP (scripts, styles), not 'none'.
    response = client.get("/api/html/")
    assert response["Content-Security-Policy"] != API_CSP
    assert response["Cache-Control"] == "no-store"


def test_view_headers_win(client: Client) -> None:
    response = client.get("/api/own-headers/")
    assert response["Cache-Control"] == "max-age=60"
    assert response["Content-Security-Policy"] == "default-src 'self'"
    assert response["Referrer-Policy"] == "no-referrer"


def test_referrer_policy_beats_security_middleware(client: Client) -> None:
    # harden() sets SECURE_REFERRER_POLICY="same-origin" for the admin; the API gets no-referrer.
    assert client.get("/api/json/")["Referrer-Policy"] == "no-referrer"
    assert client.get("/site/json/")["Referrer-Policy"] == "same-origin"


@override_settings(APISEC_API_PREFIX="v2")
def test_prefix_is_configurable(client: Client) -> None:
    assert_api_headers(client.get("/v2/json/"))
    assert client.get("/api/json/").get("Permissions-Policy") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/api/", "/api/"),
        ("api", "/api/"),
        ("/v2/api", "/v2/api/"),
        ("/", "/"),
        # Unusable (apisec.E602): fails closed, every path is treated as the API.
        ("", "/"),
        (None, "/"),
        (42, "/"),
    ],
)
def test_api_prefix_setting(value: Any, expected: str) -> None:
    with override_settings(APISEC_API_PREFIX=value):
        prefix = apisec_settings.API_PREFIX
    assert prefix == expected


def test_middleware_is_async_capable() -> None:
    async def get_response(request: HttpRequest) -> HttpResponse:
        return JsonResponse({})

    middleware = ApiSecurityMiddleware(get_response)
    assert iscoroutinefunction(middleware)
    response = asyncio.run(middleware(RequestFactory().get("/api/x/")))
    assert_api_headers(response)
    sync_middleware = ApiSecurityMiddleware(lambda request: JsonResponse({}))
    assert not iscoroutinefunction(sync_middleware)


# --- request ids ------------------------------------------------------------------------------


def test_request_id_is_generated_and_echoed(client: Client) -> None:
    first = client.get("/api/json/")["X-Request-ID"]
    second = client.get("/site/json/")["X-Request-ID"]
    assert UUID_HEX.fullmatch(first)
    assert UUID_HEX.fullmatch(second)
    assert first != second


def test_well_formed_request_id_is_echoed(client: Client) -> None:
    response = client.get("/api/json/", HTTP_X_REQUEST_ID="trace-42.a_b")
    assert response["X-Request-ID"] == "trace-42.a_b"


@pytest.mark.parametrize("bad", ["", "a b", "x" * 65, "<script>", "line\nbreak", "é"])
def test_malformed_request_id_is_replaced(client: Client, bad: str) -> None:
    response = client.get("/api/json/", HTTP_X_REQUEST_ID=bad)
    assert UUID_HEX.fullmatch(response["X-Request-ID"])


def test_request_id_is_in_every_log_line(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="tests.api_middleware"):
        response = client.get("/api/json/", HTTP_X_REQUEST_ID="sync-id")
    [record] = [r for r in caplog.records if r.name == "tests.api_middleware"]
    assert record.request_id == "sync-id" == response["X-Request-ID"]  # type: ignore[attr-defined]


def test_request_id_is_in_every_log_line_async(
    async_client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="tests.api_middleware"):
        response = asyncio.run(
            async_client.get("/api/async/", headers={"X-Request-ID": "async-id"})
        )
        sync_response = asyncio.run(
            async_client.get("/api/json/", headers={"X-Request-ID": "thread-id"})
        )
    records = [r for r in caplog.records if r.name == "tests.api_middleware"]
    ids = [r.request_id for r in records]  # type: ignore[attr-defined]
    assert ids == ["async-id", "thread-id"]
    assert response["X-Request-ID"] == "async-id"
    assert sync_response["X-Request-ID"] == "thread-id"


def test_request_id_is_unbound_after_the_request(client: Client) -> None:
    client.get("/api/json/", HTTP_X_REQUEST_ID="gone-after")
    assert current_request_id() is None


def test_filter_outside_a_request_and_with_an_explicit_id() -> None:
    id_filter = RequestIdFilter()
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    assert id_filter.filter(plain)
    assert plain.request_id == NO_REQUEST  # type: ignore[attr-defined]
    explicit = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    explicit.request_id = "given"
    id_filter.filter(explicit)
    assert explicit.request_id == "given"


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        *[("abc", True), ("A.b_c-1", True), ("a" * 64, True), ("", False), ("a" * 65, False)],
        *[("a b", False), ("a\n", False), (None, False), (42, False), ("ü", False)],
    ],
)
def test_is_valid_request_id(value: Any, valid: bool) -> None:
    assert is_valid_request_id(value) is valid


def test_request_id_without_request_uses_the_bound_one(client: Client) -> None:
    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request_id(None))
        return JsonResponse({})

    middleware = ApiSecurityMiddleware(view)
    middleware(RequestFactory().get("/api/x/", HTTP_X_REQUEST_ID="bound-id"))
    assert seen == ["bound-id"]


# --- JSON error pages -------------------------------------------------------------------------


def test_unknown_api_route_is_a_json_404(client: Client) -> None:
    response = client.get("/api/no-such-route/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert_api_headers(response)


def test_unknown_api_route_is_a_json_404_async(async_client: AsyncClient) -> None:
    response = asyncio.run(async_client.get("/api/no-such-route/"))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_unknown_site_route_keeps_djangos_page(client: Client) -> None:
    response = client.get("/site/no-such-route/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_crash_outside_drf_is_a_json_500(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/api/crash/", HTTP_X_REQUEST_ID="crash-id")
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Internal server error",
        "code": "server_error",
        "request_id": "crash-id",
    }
    assert b"hunter2" not in response.content
    # Django logged it in full, server-side.
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])


def test_crash_outside_drf_is_a_json_500_async(async_client: AsyncClient) -> None:
    response = asyncio.run(async_client.get("/api/crash/"))
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "server_error"
    assert body["request_id"] == response["X-Request-ID"]


def test_django_permission_denied_is_json(client: Client) -> None:
    response = client.get("/api/forbidden/")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "You do not have permission to perform this action.",
        "code": "permission_denied",
    }


def test_disallowed_host_is_json(client: Client) -> None:
    response = client.get("/api/json/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request.", "code": "bad_request"}
    assert b"evil" not in response.content


def test_csrf_failure_is_json(client: Client) -> None:
    csrf_client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = csrf_client.post("/api/post-only/", {"a": "b"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@override_settings(CSRF_FAILURE_VIEW="django_apisec.http.errors.csrf_failure")
def test_csrf_failure_view_gives_a_specific_code(client: Client) -> None:
    csrf_client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = csrf_client.post("/api/post-only/", {"a": "b"})
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF verification failed.", "code": "csrf_failed"}


def test_csrf_failure_view_keeps_djangos_page_outside_the_api() -> None:
    response = csrf_failure(RequestFactory().post("/admin/login/"), reason="CSRF cookie not set.")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_method_not_allowed_keeps_allow(client: Client) -> None:
    response = client.get("/api/post-only/")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method not allowed.", "code": "method_not_allowed"}
    assert response["Allow"] == "POST"


@pytest.mark.parametrize(
    ("url", "status", "body"),
    [
        ("/api/teapot/", 418, {"detail": "Request failed.", "code": "error"}),
        ("/api/bad-gateway/", 502, {"detail": "Server error.", "code": "server_error"}),
    ],
)
def test_other_statuses_get_a_generic_shape(
    client: Client, url: str, status: int, body: dict[str, str]
) -> None:
    response = client.get(url)
    assert response.status_code == status
    data = response.json()
    data.pop("request_id", None)
    assert data == body


def test_streaming_error_is_left_alone(client: Client) -> None:
    response = client.get("/api/streaming-error/")
    assert response.status_code == 500
    assert b"".join(response.streaming_content) == b"partial"  # type: ignore[attr-defined]


def test_cookies_survive_the_replacement(client: Client) -> None:
    response = client.get("/api/cookie-error/")
    assert response.json()["code"] == "bad_request"
    assert response.cookies["rotated"].value == "1"


@pytest.mark.parametrize("content_type", ["application/json", "application/problem+json"])
def test_json_errors_are_kept(content_type: str) -> None:
    original = HttpResponse(b'{"own": 1}', status=409, content_type=content_type)
    assert json_error_for(RequestFactory().get("/api/x/"), original) is original
