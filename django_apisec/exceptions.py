"""A DRF exception handler that gives every API error one shape and never leaks internals.

Errors are ``{"detail": ..., "code": ...}``; validation errors add ``"errors"`` (field -> messages).
An unhandled exception becomes a 500 ``{"detail": "Internal server error", "code":
"server_error", "request_id": ...}``; the traceback is logged server-side only.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from django_apisec.throttling import ratelimit_headers

logger = logging.getLogger("django_apisec.errors")

REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id(request: HttpRequest | None) -> str:
    """The request's id: a well-formed ``X-Request-ID`` from the client, else a new one.

    The id is stored on the request so that every later call (logs, the response) agrees.
    """
    if request is None:
        return uuid.uuid4().hex
    existing = getattr(request, "apisec_request_id", None)
    if existing:
        return str(existing)
    candidate = request.META.get(REQUEST_ID_HEADER, "")
    value = candidate if _REQUEST_ID.fullmatch(candidate) else uuid.uuid4().hex
    request.apisec_request_id = value  # type: ignore[attr-defined]
    return value


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF ``EXCEPTION_HANDLER``: DRF's own handling, reshaped; unhandled errors become a 500."""
    request = context.get("request")
    response = drf_exception_handler(exc, context)
    if response is None:
        django_request = getattr(request, "_request", request)
        rid = request_id(django_request)
        logger.error(
            "Unhandled exception in %s (request id %s)",
            type(context.get("view")).__name__,
            rid,
            exc_info=exc,
            extra={"request_id": rid},
        )
        # Answering instead of raising would let ATOMIC_REQUESTS commit a half-done write.
        set_rollback()
        # Error reporters (Sentry, the admins mailer) listen for this signal.
        got_request_exception.send(sender=None, request=django_request)
        return Response(
            {"detail": "Internal server error", "code": "server_error", "request_id": rid},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    response.data = _error_body(exc, response.data)
    if isinstance(exc, exceptions.Throttled):
        # DRF throttles cannot set headers; their decisions are recorded on the request.
        for header, value in ratelimit_headers(request).items():
            response[header] = value
    return response


def _error_body(exc: Exception, data: Any) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        return {"detail": "Invalid input.", "code": "invalid", "errors": data}
    if isinstance(exc, Http404):
        # Django's message names the model ("No Note matches ..."); say nothing more than 404.
        return {"detail": "Not found.", "code": "not_found"}
    if isinstance(data, dict) and "detail" in data:
        detail = data["detail"]
        return {"detail": str(detail), "code": getattr(detail, "code", "error")}
    return {"detail": "Request failed.", "code": "error", "errors": data}
