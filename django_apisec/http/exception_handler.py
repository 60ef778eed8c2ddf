"""A DRF exception handler that gives every API error one shape and never leaks internals.

Errors have the shape and wording of :mod:`django_apisec.http.errors`: ``{"detail": ...,
"code": ...}``; validation errors add ``"errors"`` (field -> messages). An unhandled exception
becomes a 500 ``{"detail": "Internal server error", "code": "server_error", "request_id": ...}``;
the traceback is logged server-side only. A database that cannot serve (refused, unknown, a
pool timeout) is a 503 with ``Retry-After`` (:mod:`django_apisec.http.unavailable`). Refusals that
matter to security (authentication, authorization, validation, throttling, oversized or abusive
input) are recorded as security events (:mod:`django_apisec.observability.events`).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.signals import got_request_exception
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from django_apisec.http.body import RequestTooLarge
from django_apisec.http.errors import (
    DEFAULT_CLIENT_ERROR,
    INVALID_INPUT,
    LOCKED_OUT,
    STATUS_ERRORS,
    error_body,
)
from django_apisec.http.ratelimit import ratelimit_headers
from django_apisec.http.unavailable import database_unavailable, is_database_unavailable
from django_apisec.observability import events
from django_apisec.request.request_id import request_id
from django_apisec.request.state import django_request, state_of

__all__ = ["exception_handler", "request_id"]

logger = logging.getLogger("django_apisec.http.errors")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF ``EXCEPTION_HANDLER``: DRF's own handling, reshaped; unhandled errors become a 500."""
    request = context.get("request")
    if request is not None:
        _give_back_unused_decisions(request)
    if isinstance(exc, RequestDataTooBig):
        # Django's size errors (and the API middleware's, for a body of unknown length) are a
        # client's fault, not a crash.
        exc = RequestTooLarge()
    elif is_database_unavailable(exc):
        # The database refused or timed out: the client may retry; this is no crash. Nothing
        # the view wrote may be committed.
        set_rollback()
        exc = database_unavailable(exc, view=type(context.get("view")).__name__)
    _record_event(exc, request)
    response = drf_exception_handler(exc, context)
    if response is None:
        http_request = None if request is None else django_request(request)
        rid = request_id(http_request)
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
        got_request_exception.send(sender=None, request=http_request)
        detail, code = STATUS_ERRORS[status.HTTP_500_INTERNAL_SERVER_ERROR]
        return Response(
            error_body(detail, code, request_id=rid),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    response.data = _error_body(exc, response.data)
    if isinstance(exc, exceptions.Throttled):
        # DRF throttles cannot set headers; their decisions are in the request's state.
        for header, value in ratelimit_headers(request).items():
            response[header] = value
    return response


def _give_back_unused_decisions(request: Any) -> None:
    # Throttle hits the authentication counted ahead (its one round trip) that no throttle took:
    # the request was refused before its throttles ran, as DRF orders them, so it costs nothing.
    state = state_of(request)
    refunds, state.prefetched_refunds = state.prefetched_refunds, {}
    state.prefetched_decisions.clear()
    for refund in refunds.values():
        refund()


def _error_body(exc: Exception, data: Any) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        return error_body(*INVALID_INPUT, errors=data)
    if isinstance(exc, Http404):
        # Django's message names the model ("No Note matches ..."); say nothing more than 404.
        return error_body(*STATUS_ERRORS[status.HTTP_404_NOT_FOUND])
    if isinstance(data, dict) and "detail" in data:
        detail = data["detail"]
        return error_body(str(detail), getattr(detail, "code", DEFAULT_CLIENT_ERROR[1]))
    return error_body(*DEFAULT_CLIENT_ERROR, errors=data)


def _record_event(exc: Exception, request: Any) -> None:
    """Record the security event a refused request stands for (nothing for other errors)."""
    if isinstance(exc, exceptions.AuthenticationFailed):
        # A failed login names its account by identifier (set by the lockout), never by name.
        account = None if request is None else state_of(request).login_account
        extra = {} if account is None else {"account": account}
        events.record(
            events.AUTHENTICATION_FAILED,
            request=request,
            outcome=events.FAILURE,
            code=_code(exc),
            **extra,
        )
    elif isinstance(
        exc, (exceptions.NotAuthenticated, exceptions.PermissionDenied, DjangoPermissionDenied)
    ):
        events.record(
            events.AUTHORIZATION_DENIED, request=request, outcome=events.DENIED, code=_code(exc)
        )
    elif isinstance(exc, exceptions.ValidationError):
        events.record(
            events.VALIDATION_FAILED,
            request=request,
            outcome=events.FAILURE,
            fields=events.field_names(exc.detail),
        )
    elif isinstance(exc, exceptions.Throttled) and _code(exc) == LOCKED_OUT:
        # A login refused because its account is locked (the lockout's LockedOut): not a rate
        # limit, an account under attack (the lock itself was recorded when it was set).
        events.record(
            events.ACCOUNT_LOCKED_OUT,
            request=request,
            outcome=events.BLOCKED,
            phase="refused",
            account=getattr(exc, "account", None),
            wait=getattr(exc, "wait", None),
        )
    elif isinstance(exc, exceptions.Throttled):
        wait = getattr(exc, "wait", None)
        decisions = [] if request is None else state_of(request).throttle_decisions
        scopes = sorted({d.scope for d in decisions if not d.allowed})
        scoped: dict[str, Any] = {"scopes": scopes} if scopes else {}
        events.record(
            events.THROTTLED, request=request, outcome=events.BLOCKED, wait=wait, **scoped
        )
    elif isinstance(exc, (exceptions.ParseError, exceptions.UnsupportedMediaType, RequestTooLarge)):
        events.record(
            events.INPUT_REJECTED, request=request, outcome=events.BLOCKED, code=_code(exc)
        )


def _code(exc: Exception) -> str:
    """The stable code of an API exception (``permission_denied``...)."""
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, str):
            return codes
        if isinstance(codes, dict) and isinstance(codes.get("detail"), str):
            return str(codes["detail"])
        return str(exc.default_code)
    return "permission_denied"
