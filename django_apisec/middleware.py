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
    """Render a ``SECURE_CSP``-style dict as a header value, as Django 6.0 does."""
    directives = []
    for directive, values in config.items():
        if values is None or values is False:
            continue
        if values is True:
            directives.append(directive)
            continue
        if isinstance(values, str):
            values = [values]
        elif isinstance(values, (set, frozenset)):
            values = sorted(values)
        directives.append(" ".join([directive, *map(str, values)]))
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
