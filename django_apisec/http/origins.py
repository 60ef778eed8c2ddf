"""Which browser origins may use the refresh cookie: Django's and django-cors-headers' answer.

The refresh and logout views act on a cookie the browser attaches by itself, so a request from a
foreign origin must not reach them. Whether an origin is trusted is decided by the two pieces of
configuration a project already keeps for it, through their own matchers; no origin matching is
written here:

* Django's CSRF origin verification: the request's own origin and ``CSRF_TRUSTED_ORIGINS``,
  wildcards such as ``https://*.example.com`` included;
* django-cors-headers' allow-list: ``CORS_ALLOWED_ORIGINS`` and ``CORS_ALLOWED_ORIGIN_REGEXES``.

``CORS_ALLOW_ALL_ORIGINS`` trusts nothing here: it lets every origin read responses, which says
nothing about which origins may spend the user's refresh cookie. The opaque origin ``null``
(sandboxed frames, ``file:`` pages, cross-origin redirects) is never trusted, even when a project
lists it for CORS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from corsheaders.middleware import CorsMiddleware
from django.middleware.csrf import CsrfViewMiddleware

if TYPE_CHECKING:
    from django.http import HttpRequest

#: The origin browsers send when the real one is hidden or has none.
OPAQUE_ORIGIN = "null"


def _unused_response(_request: HttpRequest) -> Any:  # pragma: no cover - never called
    raise AssertionError("only the middleware's origin matcher is used")


def csrf_trusts(request: HttpRequest) -> bool:
    """Whether Django's CSRF protection accepts the request's ``Origin`` header.

    ``CsrfViewMiddleware._origin_verified`` is the check ``process_view`` runs on every unsafe
    request; it is private but unchanged from Django 4.0 to 6.1, and the tests pin its answers
    (same origin, exact and wildcard ``CSRF_TRUSTED_ORIGINS``, scheme and port mismatches). A
    new middleware each call: it caches the parsed ``CSRF_TRUSTED_ORIGINS`` on the instance.
    """
    return bool(CsrfViewMiddleware(_unused_response)._origin_verified(request))  # type: ignore[attr-defined]


def cors_allows(origin: str) -> bool:
    """Whether django-cors-headers' allow-list (exact origins or regexes) names ``origin``."""
    try:
        url = urlsplit(origin)
    except ValueError:
        return False
    return CorsMiddleware(_unused_response).origin_found_in_white_lists(origin, url)


def origin_trusted(request: HttpRequest) -> bool:
    """Whether the request's ``Origin`` may use the refresh cookie; no ``Origin`` passes.

    Non-browser clients send no ``Origin``; browsers send one on every cross-origin request and
    on every same-origin ``POST``.
    """
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        return True
    if origin == OPAQUE_ORIGIN:
        return False
    return csrf_trusts(request) or cors_allows(origin)
