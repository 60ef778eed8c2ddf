"""The base of django_apisec's middleware: one body of logic, run under WSGI and ASGI alike.

Django runs a middleware in the mode of the handler it wraps. One that is only synchronous costs
every async request a thread hop (``sync_to_async``) through it; one written twice, sync and
async, drifts apart. :class:`SyncAsyncMiddleware` is both: the logic is written once, as
synchronous hooks that do no I/O, and a thin ``__call__`` / ``__acall__`` pair runs them around
the next handler, awaiting it when it is async (as django-cors-headers does).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from django.http import HttpRequest, HttpResponseBase

__all__ = ["SyncAsyncMiddleware"]


class SyncAsyncMiddleware:
    """Base of a middleware that is both sync- and async-capable.

    Subclasses override the hooks they need; each runs in the request's own thread or event loop
    and must not block:

    * :meth:`process_request` answers instead of the next handler when it returns a response;
    * :meth:`process_response` returns the response to send (the same one, or a replacement);
    * :meth:`request_context` is a context manager around both and the next handler.
    """

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            # Django then awaits this instance: calls go to __acall__.
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        """Sync entry point; under ASGI, the coroutine of :meth:`__acall__`."""
        if self.async_mode:
            return self.__acall__(request)
        with self.request_context(request):
            response = self.process_request(request)
            if response is None:
                response = cast("HttpResponseBase", self.get_response(request))
            return self.process_response(request, response)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        """Async entry point: the same hooks around the awaited next handler."""
        with self.request_context(request):
            response = self.process_request(request)
            if response is None:
                response = await cast("Awaitable[HttpResponseBase]", self.get_response(request))
            return self.process_response(request, response)

    def request_context(self, request: HttpRequest) -> contextlib.AbstractContextManager[object]:
        """A context entered before :meth:`process_request` and left after the response."""
        return contextlib.nullcontext()

    def process_request(self, request: HttpRequest) -> HttpResponseBase | None:
        """A response to send without calling the next handler, or ``None`` to call it."""
        return None

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """The response to send for ``request``; ``response`` itself by default."""
        return response
