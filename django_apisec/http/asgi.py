"""``BodyLimitMiddleware``: under ASGI, Django never reads a body over ``APISEC_MAX_BODY_SIZE``.

Django's ASGI handler reads the whole request body (into a spooled temporary file) before any
Django middleware runs, so :class:`~django_apisec.http.middleware.ApiSecurityMiddleware` could only
answer 413 once a 50 MB body had arrived. This ASGI middleware wraps the application and hands
Django only what the API middleware needs to decide, under ``APISEC_API_PREFIX``:

* a body announced (``Content-Length``) over the limit: none of it. Django sees an empty body
  with the announced length and the API middleware answers 413 at once, not a byte read;
* a body of unknown length (chunked): at most ``limit + 1`` bytes, then the end of the body; the
  API middleware's counting stream sees the excess and answers 413.

Once the shortened body is handed over, the rest of the client's upload is never read (nor
waited for). Everything else passes through untouched. Wrap the project's ASGI application::

    from django.core.asgi import get_asgi_application
    from django_apisec.http.asgi import BodyLimitMiddleware

    application = BodyLimitMiddleware(get_asgi_application())
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from django_apisec.conf import apisec_settings

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, MutableMapping

    Message = MutableMapping[str, Any]
    Receive = Callable[[], Awaitable[Message]]
    Send = Callable[[Message], Awaitable[None]]
    App = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

__all__ = ["BodyLimitMiddleware"]


def _announced_length(scope: MutableMapping[str, Any]) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return None
            return length if length >= 0 else None
    return None


def _is_api_path(scope: MutableMapping[str, Any]) -> bool:
    path = str(scope.get("path", ""))
    root = str(scope.get("root_path", ""))
    if root and path.startswith(root):
        path = path[len(root) :]
    return path.startswith(apisec_settings.API_PREFIX)


class _BoundedReceive:
    """``receive`` that ends the body at the limit (or at once, when announced over it)."""

    def __init__(self, receive: Receive, limit: int, refuse_now: bool) -> None:
        self.receive = receive
        self.limit = limit
        self.received = 0
        self.ended = False
        self.refuse_now = refuse_now

    async def __call__(self) -> Message:
        if self.ended:
            # The body was cut short: never read the rest. Django only listens for a disconnect
            # here, and stops listening once its response is sent.
            await asyncio.Future()
        if self.refuse_now:
            self.ended = True
            return {"type": "http.request", "body": b"", "more_body": False}
        message = await self.receive()
        if message["type"] != "http.request":
            return message
        body = message.get("body", b"")
        self.received += len(body)
        if self.received > self.limit and message.get("more_body", False):
            # One byte past the limit is enough for the API middleware to see it was passed.
            keep = len(body) - (self.received - self.limit - 1)
            self.ended = True
            return {"type": "http.request", "body": body[:keep], "more_body": False}
        return message


class BodyLimitMiddleware:
    """ASGI middleware: a body over ``APISEC_MAX_BODY_SIZE`` under the API prefix is not read."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        """Run the application, with a bounded ``receive`` for API requests."""
        if scope.get("type") != "http" or not _is_api_path(scope):
            await self.app(scope, receive, send)
            return
        limit = apisec_settings.MAX_BODY_SIZE
        length = _announced_length(scope)
        bounded = _BoundedReceive(receive, limit, length is not None and length > limit)
        await self.app(scope, bounded, send)
