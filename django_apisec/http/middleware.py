"""``ApiSecurityMiddleware``: headers, request ids, body limits and JSON errors for the API.

Every request gets a request id (a well-formed ``X-Request-ID`` from the client, else a new one),
bound for the log records written while it is handled and echoed in the response. Under
``APISEC_API_PREFIX`` it also:

* refuses a body over ``APISEC_MAX_BODY_SIZE`` with a 413 before reading it (announced by
  ``Content-Length``), or as soon as it passes the limit (a body of unknown length);
* turns the HTML error pages Django answers itself (unknown URL, CSRF failure, disallowed host,
  a crash outside DRF) into ``{"detail", "code"}`` JSON;
* adds the headers a JSON API wants: no caching, a CSP that forbids everything, cross-origin
  isolation, no referrer, no powerful features, no MIME sniffing.

Place it right after the CSP middleware (``harden()`` does): its headers are set before the CSP
middleware's, which never overwrites one, and it runs before anything that reads the body
(``CsrfViewMiddleware`` reads form posts).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from django_apisec.http.body import RequestTooLarge, enforce_body_limit, exceeded_while_reading
from django_apisec.http.errors import error_response, is_api_request, json_error_for
from django_apisec.http.sync_async import SyncAsyncMiddleware
from django_apisec.request.request_id import RESPONSE_HEADER, bind, request_id, unbind

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.http import HttpRequest, HttpResponseBase

__all__ = [
    "ApiSecurityMiddleware",
]

# The policy of a document that is data, not a page: it may load nothing and be framed nowhere.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# An API response never needs a powerful browser feature; deny the common ones outright.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
)
# Added unless the view set its own value (a view that allows caching says so explicitly).
API_HEADERS = (
    ("Cache-Control", "no-store"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("X-Content-Type-Options", "nosniff"),
)


class ApiSecurityMiddleware(SyncAsyncMiddleware):
    """Request ids everywhere; security headers, body limits and JSON errors under the API."""

    @contextlib.contextmanager
    def request_context(self, request: HttpRequest) -> Iterator[None]:
        """The request's id is the current one (in log records) while it is handled."""
        token = bind(request)
        try:
            yield
        finally:
            unbind(token)

    def process_request(self, request: HttpRequest) -> HttpResponseBase | None:
        """The answer to give without calling the view (a body over the limit), else ``None``."""
        if is_api_request(request) and not enforce_body_limit(request):
            return self.too_large(request)
        return None

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """Reshape errors and add the headers (API only) and the request id (always)."""
        if is_api_request(request):
            if exceeded_while_reading(request):
                response = self.too_large(request)
            response = json_error_for(request, response)
            self.add_api_headers(response)
        response[RESPONSE_HEADER] = request_id(request)
        return response

    def too_large(self, request: HttpRequest) -> HttpResponseBase:
        """The 413 for a body over the limit."""
        error = RequestTooLarge()
        return error_response(error.status_code, str(error.detail), error.default_code)

    def add_api_headers(self, response: HttpResponseBase) -> None:
        """Set each API header the response does not carry; the CSP only on non-HTML."""
        for header, value in API_HEADERS:
            if header not in response:
                response[header] = value
        content_type = response.get("Content-Type", "").lower()
        if "Content-Security-Policy" not in response and not content_type.startswith("text/html"):
            response["Content-Security-Policy"] = API_CSP
