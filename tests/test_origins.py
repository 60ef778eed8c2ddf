"""Origin trust for the cookie views: Django's CSRF matcher and corsheaders' allow-list, pinned.

``origins.csrf_trusts`` calls Django's private ``CsrfViewMiddleware._origin_verified``. These
tests pin the answers we rely on, so a Django release that changes them fails here (the suite runs
on Django 5.2 and 6.x; the method is the same from 4.0 to 6.1). The attack tests through the real
views are in ``tests/test_jwt_transport.py``.
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from django_apisec.http.origins import cors_allows, csrf_trusts, origin_trusted


def request_from(origin: str | None, *, secure: bool = False, host: str = "api.example.com"):
    extra = {} if origin is None else {"HTTP_ORIGIN": origin}
    return RequestFactory().post("/api/auth/refresh/", secure=secure, HTTP_HOST=host, **extra)


@override_settings(
    ALLOWED_HOSTS=["api.example.com"],
    CSRF_TRUSTED_ORIGINS=["https://*.example.com", "https://admin.example.net"],
)
@pytest.mark.parametrize(
    ("origin", "secure", "trusted"),
    [
        ("https://api.example.com", True, True),  # same origin
        ("http://api.example.com", False, True),  # same origin over http
        ("http://api.example.com", True, False),  # the http twin of an https API
        ("https://app.example.com", False, True),  # wildcard
        ("https://a.b.example.com", False, True),  # wildcard, deeper
        ("https://example.com", False, True),  # Django: "*.example.com" covers the apex
        ("https://admin.example.net", False, True),  # exact
        ("https://admin.example.net:8443", False, False),  # exact means the port too
        ("https://app.example.com:8443", False, False),  # wildcard keeps the default port
        ("http://app.example.com", False, False),  # wildcard keeps the scheme
        ("https://evilexample.com", False, False),
        ("https://example.com.evil.net", False, False),
        ("https://sub.admin.example.net", False, False),  # exact is not a wildcard
        ("null", False, False),
        ("https://[::1", False, False),  # unparsable
    ],
)
def test_csrf_origin_semantics(origin: str, secure: bool, trusted: bool) -> None:
    assert csrf_trusts(request_from(origin, secure=secure)) is trusted


@override_settings(ALLOWED_HOSTS=["api.example.com"], CSRF_TRUSTED_ORIGINS=[])
def test_a_disallowed_host_is_not_its_own_origin() -> None:
    request = request_from("https://evil.example", secure=True, host="evil.example")
    assert csrf_trusts(request) is False


@override_settings(
    CORS_ALLOWED_ORIGINS=["https://app.example.org", "null"],
    CORS_ALLOWED_ORIGIN_REGEXES=[r"^https://[a-z]+\.example\.net$"],
    CORS_ALLOW_ALL_ORIGINS=True,
)
@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example.org", True),
        ("https://app.example.org:443", False),  # corsheaders compares netlocs literally
        ("http://app.example.org", False),
        ("https://shop.example.net", True),
        ("https://shop.example.net.evil.com", False),
        ("https://evil.example", False),  # CORS_ALLOW_ALL_ORIGINS is not consulted
        ("https://[::1", False),
    ],
)
def test_cors_allow_list_semantics(origin: str, allowed: bool) -> None:
    assert cors_allows(origin) is allowed


@override_settings(
    ALLOWED_HOSTS=["api.example.com"],
    CORS_ALLOWED_ORIGINS=["null"],
    CORS_ALLOW_ALL_ORIGINS=True,
    CSRF_TRUSTED_ORIGINS=["https://*.example.com"],
)
@pytest.mark.parametrize(
    ("origin", "trusted"),
    [
        (None, True),  # a non-browser client
        ("https://app.example.com", True),
        ("null", False),  # opaque, even when listed for CORS
        ("https://evil.example", False),  # CORS_ALLOW_ALL_ORIGINS trusts nothing here
    ],
)
def test_origin_trusted(origin: str | None, trusted: bool) -> None:
    assert origin_trusted(request_from(origin)) is trusted


def test_changed_settings_are_seen_on_the_next_call() -> None:
    request = request_from("https://app.example.com")
    with override_settings(ALLOWED_HOSTS=["api.example.com"], CSRF_TRUSTED_ORIGINS=[]):
        assert origin_trusted(request) is False
    with override_settings(
        ALLOWED_HOSTS=["api.example.com"], CSRF_TRUSTED_ORIGINS=["https://*.example.com"]
    ):
        assert origin_trusted(request) is True
