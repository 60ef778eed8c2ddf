"""Request ids: accepted from the client when well formed, else generated; in every log line.

The API middleware calls :func:`bind` at the start of a request and :func:`unbind` at its end.
The id lives in the request's state (:mod:`django_apisec.request.state`), so every caller agrees,
and in a context variable, which :class:`RequestIdFilter` copies into each log record. Context
variables follow a request into ``sync_to_async`` threads and across ``await``, so async views log
the right id too.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

from django_apisec.request.state import state_of

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request

__all__ = [
    "RequestIdFilter",
    "bind",
    "current_request_id",
    "is_valid_request_id",
    "request_id",
    "unbind",
]

REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"
RESPONSE_HEADER = "X-Request-ID"
# A client-chosen id lands in logs and headers: only a short, plain token is believed.
_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")
# What log records show outside a request (management commands, startup).
NO_REQUEST = "-"

_current: ContextVar[str | None] = ContextVar("django_apisec_request_id", default=None)


def is_valid_request_id(value: object) -> bool:
    """Whether ``value`` may be used as a request id: 1-64 of ``A-Z a-z 0-9 . _ -``."""
    return isinstance(value, str) and _WELL_FORMED.fullmatch(value) is not None


def request_id(request: HttpRequest | Request | None) -> str:
    """The request's id: a well-formed ``X-Request-ID`` from the client, else a new one.

    ``request`` is a Django ``HttpRequest`` or a DRF ``Request``.

    The id is kept in the request's state so that every later call (logs, the response) agrees.
    Without a request, the id bound to the current context, else a fresh one.
    """
    if request is None:
        return _current.get() or uuid.uuid4().hex
    state = state_of(request)
    if state.request_id is None:
        candidate = request.META.get(REQUEST_ID_HEADER, "")
        state.request_id = candidate if is_valid_request_id(candidate) else uuid.uuid4().hex
    return state.request_id


def current_request_id() -> str | None:
    """The id of the request being handled in this context, ``None`` outside a request."""
    return _current.get()


def bind(request: HttpRequest) -> Token[str | None]:
    """Make ``request``'s id the current one; pass the result to :func:`unbind` afterwards."""
    return _current.set(request_id(request))


def unbind(token: Token[str | None]) -> None:
    """Restore the id that was current before :func:`bind`."""
    _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Add ``request_id`` to every record (``"-"`` outside a request); never drops a record.

    A record that already carries a ``request_id`` (passed in ``extra``) keeps it. Put the filter
    on handlers, not loggers: a logger's filters do not see records propagated from its children.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Set ``record.request_id`` when missing."""
        if not getattr(record, "request_id", None):
            record.request_id = _current.get() or NO_REQUEST
        return True
