"""``Content-Security-Policy`` for Django 5.2, which has no built-in CSP.

It reads Django 6.0's own ``SECURE_CSP`` / ``SECURE_CSP_REPORT_ONLY`` settings (a dict of directive
to sources), so a project keeps one configuration when it upgrades and switches to
``django.middleware.csp.ContentSecurityPolicyMiddleware``; ``harden()`` picks the right one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from django_apisec.http.sync_async import SyncAsyncMiddleware

if TYPE_CHECKING:
    from collections.abc import Mapping

    from django.http import HttpRequest, HttpResponseBase

__all__ = [
    "ContentSecurityPolicyMiddleware",
    "build_policy",
]

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


class ContentSecurityPolicyMiddleware(SyncAsyncMiddleware):
    """Add the CSP headers configured in ``SECURE_CSP`` unless the view set its own."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """Set each configured policy header the response does not already carry."""
        for header, setting in HEADERS:
            config = getattr(settings, setting, None)
            if config and header not in response:
                response[header] = build_policy(config)
        return response
