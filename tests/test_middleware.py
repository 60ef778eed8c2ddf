"""The Content-Security-Policy middleware (Django 6.0's CSP, backported to 5.2)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.test import AsyncClient, Client, RequestFactory, override_settings
from django.urls import path
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy

from django_apisec import dotted_paths
from django_apisec.hardening import middleware_stack as middleware_order
from django_apisec.http.csp import ContentSecurityPolicyMiddleware, build_policy

if TYPE_CHECKING:
    from collections.abc import Iterator

CSP = "Content-Security-Policy"
CSP_REPORT_ONLY = "Content-Security-Policy-Report-Only"
POLICY = {"default-src": ["'self'"], "frame-ancestors": ["'none'"]}
REPORT_ONLY_POLICY = {"default-src": ["'none'"], "report-uri": "/csp-report/"}
VIEW_POLICY = "default-src 'none'; img-src https://cdn.example.com"


def plain_view(request: HttpRequest) -> HttpResponse:
    """A view that leaves the policy to the middleware."""
    return HttpResponse("plain")


def own_policy_view(request: HttpRequest) -> HttpResponse:
    """A view that sets its own policy headers, which the middleware must keep."""
    response = HttpResponse("own")
    response[CSP] = VIEW_POLICY
    response[CSP_REPORT_ONLY] = VIEW_POLICY
    return response


async def async_view(request: HttpRequest) -> HttpResponse:
    """An async view: the whole stack runs async under ASGI."""
    return HttpResponse("async")


urlpatterns = [
    path("plain/", plain_view),
    path("own/", own_policy_view),
    path("async/", async_view),
]


@pytest.fixture(autouse=True)
def csp_stack() -> Iterator[None]:
    """Only our middleware, whatever the Django version, serving this module's views."""
    with override_settings(
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[dotted_paths.CSP_BACKPORT_MIDDLEWARE],
        SECURE_CSP=POLICY,
        SECURE_CSP_REPORT_ONLY=REPORT_ONLY_POLICY,
    ):
        yield


# --- Rendering ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "header"),
    [
        ({"default-src": ["'self'", "https://a.example"]}, "default-src 'self' https://a.example"),
        ({"default-src": ("'self'",)}, "default-src 'self'"),
        ({"report-uri": "/csp-report/"}, "report-uri /csp-report/"),
        (
            {"img-src": {"https://b.example", "'self'", "data:"}},
            "img-src 'self' data: https://b.example",
        ),
        ({"upgrade-insecure-requests": True}, "upgrade-insecure-requests"),
        ({"default-src": ["'self'"], "script-src": None}, "default-src 'self'"),
        ({"default-src": ["'self'"], "sandbox": False}, "default-src 'self'"),
        ({"default-src": ["'self'"], "script-src": []}, "default-src 'self'"),
        ({"default-src": gettext_lazy("'self'")}, "default-src 'self'"),
        ({"default-src": frozenset({"'self'"})}, "default-src 'self'"),
        (
            {"default-src": ["'none'"], "base-uri": ["'none'"], "upgrade-insecure-requests": True},
            "default-src 'none'; base-uri 'none'; upgrade-insecure-requests",
        ),
        ({}, ""),
    ],
)
def test_build_policy(config: dict[str, Any], header: str) -> None:
    assert build_policy(config) == header


SAME_AS_DJANGO = [
    {"default-src": ["'self'", "https://a.example"], "upgrade-insecure-requests": True},
    {"img-src": {"https://b.example", "'self'", "data:"}, "script-src": None},
    {"report-uri": "/csp-report/", "frame-src": [], "sandbox": False},
]


@pytest.mark.skipif(
    not middleware_order.django_has_builtin_csp(),
    reason="Django < 6.0 has no build_policy to compare",
)
@pytest.mark.parametrize("config", SAME_AS_DJANGO)
def test_build_policy_matches_djangos(config: dict[str, Any]) -> None:
    from django.utils.csp import build_policy as djangos_build_policy  # Django 6.0+

    assert build_policy(config) == djangos_build_policy(config)


# --- Through the test clients (WSGI and ASGI stacks) -------------------------------------------


def test_sync_stack_adds_both_headers(client: Client) -> None:
    response = client.get("/plain/")
    assert response[CSP] == "default-src 'self'; frame-ancestors 'none'"
    assert response[CSP_REPORT_ONLY] == "default-src 'none'; report-uri /csp-report/"


def test_sync_stack_keeps_a_views_own_headers(client: Client) -> None:
    response = client.get("/own/")
    assert response[CSP] == VIEW_POLICY
    assert response[CSP_REPORT_ONLY] == VIEW_POLICY


@pytest.mark.parametrize("url", ["/plain/", "/async/"])
def test_async_stack_adds_both_headers(async_client: AsyncClient, url: str) -> None:
    response = asyncio.run(async_client.get(url))
    assert response[CSP] == "default-src 'self'; frame-ancestors 'none'"
    assert response[CSP_REPORT_ONLY] == "default-src 'none'; report-uri /csp-report/"


def test_async_stack_keeps_a_views_own_headers(async_client: AsyncClient) -> None:
    response = asyncio.run(async_client.get("/own/"))
    assert response[CSP] == VIEW_POLICY
    assert response[CSP_REPORT_ONLY] == VIEW_POLICY


@pytest.mark.parametrize("empty", [None, {}])
def test_unset_policies_send_no_header(client: Client, empty: object) -> None:
    with override_settings(SECURE_CSP=empty, SECURE_CSP_REPORT_ONLY=empty):
        response = client.get("/plain/")
    assert CSP not in response
    assert CSP_REPORT_ONLY not in response


def test_only_the_report_only_policy(client: Client) -> None:
    with override_settings(SECURE_CSP=None):
        response = client.get("/plain/")
    assert CSP not in response
    assert response[CSP_REPORT_ONLY] == "default-src 'none'; report-uri /csp-report/"


def test_settings_are_read_per_response(client: Client) -> None:
    # Not cached at start-up: override_settings (and a settings reload) take effect at once.
    with override_settings(SECURE_CSP={"default-src": "'none'"}):
        assert client.get("/plain/")[CSP] == "default-src 'none'"
    assert client.get("/plain/")[CSP] == "default-src 'self'; frame-ancestors 'none'"


def test_lazy_policy_object(client: Client) -> None:
    with override_settings(SECURE_CSP=SimpleLazyObject(lambda: {"default-src": ["'self'"]})):
        assert client.get("/plain/")[CSP] == "default-src 'self'"


# --- Called directly, with sync and async get_response -----------------------------------------


def test_direct_sync_call() -> None:
    request = RequestFactory().get("/")
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())
    assert not iscoroutinefunction(middleware)
    response = middleware(request)
    assert response[CSP] == "default-src 'self'; frame-ancestors 'none'"
    assert response[CSP_REPORT_ONLY] == "default-src 'none'; report-uri /csp-report/"


def test_direct_async_call() -> None:
    async def get_response(request: HttpRequest) -> HttpResponseBase:
        response = HttpResponse()
        response[CSP] = VIEW_POLICY
        return response

    middleware = ContentSecurityPolicyMiddleware(get_response)
    # Django awaits the middleware only when it is marked as a coroutine function.
    assert iscoroutinefunction(middleware)
    response = asyncio.run(middleware(RequestFactory().get("/")))
    assert response[CSP] == VIEW_POLICY
    assert response[CSP_REPORT_ONLY] == "default-src 'none'; report-uri /csp-report/"


def test_capabilities() -> None:
    assert ContentSecurityPolicyMiddleware.sync_capable is True
    assert ContentSecurityPolicyMiddleware.async_capable is True
