"""``Content-Security-Policy`` for Django 5.2, which has no built-in CSP.

It reads Django 6.0's own ``SECURE_CSP`` / ``SECURE_CSP_REPORT_ONLY`` settings (a dict of directive
to sources), so a project keeps one configuration when it upgrades and switches to
``django.middleware.csp.ContentSecurityPolicyMiddleware``; ``harden()`` picks the right one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from django.http import HttpRequest, HttpResponseBase

HEADERS = (
    ("Content-Security-Policy", "SECURE_CSP"),
    ("Content-Security-Policy-Report-Only", "SECURE_CSP_REPORT_ONLY"),
)


def build_policy(config: Mapping[str, Any]) -> str:
    """Render a ``SECURE_CSP``-style dict as a header value, as Django 6.0 does.

    ``None`` or ``False`` omits a directive, ``True`` renders it without sources (e.g.
    ``upgrade-insecure-requests``), a string is one source, a set is sorted so the header is the
    same in every process, and an empty list omits the directive.
    """
    directives = []
    for directive, value in config.items():
        if value is None or value is False:
            continue
        if value is True:
            directives.append(str(directive))
            continue
        if isinstance(value, (set, frozenset)):
            sources = sorted(value, key=str)
        elif isinstance(value, (list, tuple)):
            sources = list(value)
        else:
            sources = [value]
        if not sources:
            # An empty source list would mean 'none'; Django drops the directive instead.
            continue
        directives.append(" ".join([str(directive), *map(str, sources)]))
    return "; ".join(directives)


class ContentSecurityPolicyMiddleware:
    """Add the CSP headers configured in ``SECURE_CSP`` unless the view set its own."""

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        """Sync entry point; delegates to ``__acall__`` under ASGI."""
        if self.async_mode:
            return self.__acall__(request)
        response = self.get_response(request)
        return self.add_headers(response)  # type: ignore[arg-type]

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        """Async entry point."""
        response = await self.get_response(request)  # type: ignore[misc]
        return self.add_headers(response)

    def add_headers(self, response: HttpResponseBase) -> HttpResponseBase:
        """Set each configured policy header the response does not already carry."""
        for header, setting in HEADERS:
            config = getattr(settings, setting, None)
            if config and header not in response:
                response[header] = build_policy(config)
        return response
