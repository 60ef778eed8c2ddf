"""The error vocabulary of the API, and JSON for the errors Django answers itself.

Every API error has one shape, built by :func:`error_body`: ``{"detail", "code"}``, plus
``"errors"`` (field -> messages) for invalid input and ``"request_id"`` for a server error. Both
layers that answer errors speak it, with the wording of :data:`STATUS_ERRORS`:

* DRF's exception handler (:mod:`django_apisec.http.exception_handler`) for API views;
* :func:`json_error_for` for the errors that never reach a view: an unknown URL (404), a CSRF
  failure (403), a disallowed host or an oversized body (400), a crash in a middleware or a plain
  Django view (500). Django answers those with HTML pages; under the API prefix they are replaced
  by their JSON equivalent. The original exception is logged by Django as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, JsonResponse
from django.views.csrf import csrf_failure as django_csrf_failure

from django_apisec.conf import apisec_settings
from django_apisec.request.request_id import request_id

if TYPE_CHECKING:
    from django.http import HttpResponseBase

__all__ = [
    "csrf_failure",
    "error_body",
    "error_response",
    "is_api_request",
    "is_json",
    "json_error_for",
    "status_error",
]

# Status -> (detail, code): the wording DRF uses for the same errors, so a client sees one
# vocabulary whichever layer answered.
STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("Bad request.", "bad_request"),
    401: ("Authentication credentials were not provided.", "not_authenticated"),
    403: ("You do not have permission to perform this action.", "permission_denied"),
    404: ("Not found.", "not_found"),
    405: ("Method not allowed.", "method_not_allowed"),
    406: ("Could not satisfy the request Accept header.", "not_acceptable"),
    413: ("Request body too large.", "request_too_large"),
    415: ("Unsupported media type.", "unsupported_media_type"),
    429: ("Request was throttled.", "throttled"),
    500: ("Internal server error", "server_error"),
}
DEFAULT_CLIENT_ERROR = ("Request failed.", "error")
DEFAULT_SERVER_ERROR = ("Server error.", "server_error")
#: A request whose fields failed validation (the ``"errors"`` member says which).
INVALID_INPUT = ("Invalid input.", "invalid")
#: The code of a 429 for a login refused by the account lockout
#: (:class:`django_apisec.abuse.lockout.LockedOut`): recorded as an account lockout, not a throttle.
LOCKED_OUT = "locked_out"
# Headers of the original response that a client still needs on the JSON one.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def is_api_request(request: HttpRequest) -> bool:
    """Whether ``request`` is under ``APISEC_API_PREFIX``."""
    return request.path_info.startswith(apisec_settings.API_PREFIX)


def status_error(status: int) -> tuple[str, str]:
    """The ``(detail, code)`` of an error status: :data:`STATUS_ERRORS`, else a generic one."""
    default = DEFAULT_SERVER_ERROR if status >= 500 else DEFAULT_CLIENT_ERROR
    return STATUS_ERRORS.get(status, default)


def error_body(
    detail: str, code: str, *, errors: Any = None, request_id: str | None = None
) -> dict[str, Any]:
    """The body of every API error: ``{"detail", "code"}``.

    ``errors`` (what was wrong with which field) is added when given, and so is ``request_id``,
    which a server error carries so that a client can quote the line of the server's log.
    """
    body: dict[str, Any] = {"detail": detail, "code": code}
    if errors is not None:
        body["errors"] = errors
    if request_id is not None:
        body["request_id"] = request_id
    return body


def error_response(
    status: int, detail: str, code: str, request: HttpRequest | None = None
) -> JsonResponse:
    """A JSON response with :func:`error_body`; server errors add the ``request_id``."""
    rid = request_id(request) if status >= 500 else None
    return JsonResponse(error_body(detail, code, request_id=rid), status=status)


def is_json(response: HttpResponseBase) -> bool:
    """Whether ``response`` is already JSON (``application/json`` or ``+json``)."""
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


def json_error_for(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """``response`` itself unless it is a non-JSON error page; then its JSON equivalent."""
    if response.status_code < 400 or is_json(response) or response.streaming:
        return response
    detail, code = status_error(response.status_code)
    replacement = error_response(response.status_code, detail, code, request)
    for header in KEPT_HEADERS:
        if header in response:
            replacement[header] = response[header]
    # Cookies set on the way (a rotated CSRF or session cookie) must survive the replacement.
    replacement.cookies = response.cookies
    # Django logs each error response once; the replacement is the same error, already logged.
    if getattr(response, "_has_been_logged", False):
        replacement._has_been_logged = True  # type: ignore[attr-defined]
    return replacement


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponseBase:
    """``CSRF_FAILURE_VIEW``: ``{"detail", "code": "csrf_failed"}`` under the API prefix.

    Optional: without it, a CSRF failure under the API prefix is a generic 403
    ``permission_denied``. The reason is not sent: it tells an attacker which check failed.
    Elsewhere (the admin) Django's own page is kept.
    """
    if not is_api_request(request):
        return django_csrf_failure(request, reason)
    return error_response(403, "CSRF verification failed.", "csrf_failed", request)
