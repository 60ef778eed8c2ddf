"""Request body limits: a too-large body is refused before it is read, or as soon as it grows.

A body announced by ``Content-Length`` is judged on the header alone. A body of unknown length
(``Transfer-Encoding: chunked``, or an ASGI body without the header) is read through
:class:`BoundedBodyStream`, which counts bytes and stops at the limit instead of reading on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import RequestDataTooBig
from rest_framework import status
from rest_framework.exceptions import APIException

from django_apisec.conf import apisec_settings
from django_apisec.http.errors import STATUS_ERRORS
from django_apisec.request.state import state_of

if TYPE_CHECKING:
    from django.http import HttpRequest


class RequestTooLarge(APIException):
    """413: the request body is larger than ``APISEC_MAX_BODY_SIZE``."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail, default_code = STATUS_ERRORS[status_code]


class BodyLimitExceeded(RequestDataTooBig):
    """Raised by :class:`BoundedBodyStream` when a body of unknown length passes the limit.

    A :class:`~django.core.exceptions.RequestDataTooBig`, so Django treats it as it treats its
    own size errors (a logged 400, never a 500) wherever it escapes; the API middleware turns
    the response into a 413.
    """


def announced_length(request: HttpRequest) -> int | None:
    """The body length the client announced, ``None`` when absent or unusable."""
    raw = request.META.get("CONTENT_LENGTH")
    if not raw:
        return None
    try:
        length = int(raw)
    except (TypeError, ValueError):
        return None
    return length if length >= 0 else None


def is_chunked(request: HttpRequest) -> bool:
    """Whether the client streams the body with ``Transfer-Encoding: chunked``."""
    return "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()


class BoundedBodyStream:
    """A read-only file-like wrapper that refuses to return more than ``limit`` bytes.

    Reading past the limit raises :class:`BodyLimitExceeded` and marks the request's state (the
    API middleware then answers 413 whatever the code that read the body made of the exception),
    so the excess is never buffered: at most ``limit + 1`` bytes are read from the underlying
    stream.
    """

    def __init__(self, stream: Any, limit: int, request: HttpRequest) -> None:
        self._stream = stream
        self._limit = limit
        self._request = request
        self._seen = 0

    def _count(self, chunk: bytes) -> bytes:
        self._seen += len(chunk)
        if self._seen > self._limit:
            state_of(self._request).body_too_large = True
            raise BodyLimitExceeded(f"Request body exceeded {self._limit} bytes.")
        return chunk

    def _allowance(self, size: int | None) -> int:
        # One byte more than the limit is enough to know it was passed.
        remaining = self._limit + 1 - self._seen
        return remaining if size is None or size < 0 else min(size, remaining)

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all, when omitted), never past the limit."""
        return self._count(self._stream.read(self._allowance(size)))

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line, never past the limit."""
        return self._count(self._stream.readline(self._allowance(size)))

    def seekable(self) -> bool:
        """``False``: the size is known only by counting (Django 6.1 asks before reading)."""
        return False

    def __iter__(self) -> BoundedBodyStream:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self) -> None:
        """Close the underlying stream."""
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


def enforce_body_limit(request: HttpRequest) -> bool:
    """Apply ``APISEC_MAX_BODY_SIZE`` to ``request``; ``False`` when it must be refused now.

    An announced length over the limit is refused before a byte is read. A body of unknown
    length is wrapped in :class:`BoundedBodyStream`, which stops reading at the limit.
    """
    limit = apisec_settings.MAX_BODY_SIZE
    length = announced_length(request)
    if length is not None and not is_chunked(request):
        return length <= limit
    stream = getattr(request, "_stream", None)
    if stream is not None:
        request._stream = BoundedBodyStream(stream, limit, request)  # type: ignore[assignment]
    return True


def exceeded_while_reading(request: HttpRequest) -> bool:
    """Whether reading ``request``'s body hit the limit."""
    return state_of(request).body_too_large
