"""Browser front-end checks (``apisec.E320`` / ``apisec.W321``): can a listed SPA keep a session?

The refresh token of a JWT session travels in a ``SameSite=Strict`` cookie
(:mod:`django_apisec.jwt.transport`). A front end on another origin reaches it only when the CORS
answers allow credentials, and only when it is on the same *site* as the API: a browser never
sends a ``SameSite=Strict`` cookie on a request from another site. Both checks run only when the
URLconf routes the session views (a project that serves bearer tokens alone sends no cookie).

Without a public-suffix list the site of a host is its last two labels (``app.example.com`` ->
``example.com``), an IP address or a single label (``localhost``) is its own site. For hosts
under a multi-label public suffix (``example.co.uk``) this reads every ``*.co.uk`` host as one
site: the check then stays silent where a browser would refuse, never the reverse.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from django.conf import settings

from django_apisec.checks.cors import (
    allowed_origin_regexes,
    allowed_origins,
    allows_all_origins,
    allows_credentials,
    parsed_origins,
)
from django_apisec.checks.registry import deploy_check, emit, error, warning
from django_apisec.checks.views_audit.routes import drf_routes
from django_apisec.hardening.apply import PROFILE

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E320 = error(
    "apisec.E320",
    "CORS allows the origins {origins} but CORS_ALLOW_CREDENTIALS is off: a browser front end "
    "there cannot send or receive the refresh cookie, so its login never completes (the "
    "browser blocks the credentialed fetch) and its session is lost at the first reload.",
    "Remove CORS_ALLOW_CREDENTIALS = False from the settings (harden() turns credentials on for "
    "an explicit allowlist), or set CORS_ALLOW_CREDENTIALS = True; if those origins use API "
    "keys or bearer tokens only, remove the session views from the URLconf.",
)
W321 = warning(
    "apisec.W321",
    "CORS_ALLOWED_ORIGINS lists {origin!r}, which is on another site than every host in "
    "ALLOWED_HOSTS: the refresh cookie is SameSite=Strict, so a front end there can log in but "
    "can never refresh or log out, and its session ends at the first reload.",
    "Serve the front end on the API's site (e.g. app.example.com with api.example.com), or "
    "under the API's own host behind a reverse proxy (docs: Front ends).",
)

IP_HOST_SITE_LABELS = 2


def site_of(host: str) -> str:
    """The site of ``host``: its last two labels; an IP address or a single label as is."""
    host = host.strip(".").lower()
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return ".".join(host.split(".")[-IP_HOST_SITE_LABELS:])
    return host.strip("[]")


def api_sites() -> set[str]:
    """The sites of the concrete ``ALLOWED_HOSTS`` entries (``*`` says nothing)."""
    hosts = getattr(settings, "ALLOWED_HOSTS", ())
    if not isinstance(hosts, (list, tuple)):
        return set()
    return {site_of(host) for host in hosts if isinstance(host, str) and host not in ("", "*")}


def credentials_left_off_by_project() -> bool:
    """Whether credentials are off by the project's choice, not by ``harden()``'s default.

    ``harden()`` turns them on for an explicit allowlist and records the source in
    ``APISEC_HARDENING_REPORT``; where it filled the value, it saw no allowlist to serve.
    """
    if allows_credentials():
        return False
    report = getattr(settings, "APISEC_HARDENING_REPORT", None)
    if not isinstance(report, dict):
        return True
    return report.get("CORS_ALLOW_CREDENTIALS") != PROFILE


def session_views_routed() -> bool:
    """Whether the URLconf routes a view that spends the refresh cookie."""
    from django_apisec.jwt.views import LogoutView, RefreshView  # noqa: PLC0415 (app loading)

    return any(issubclass(route.view_class, (RefreshView, LogoutView)) for route in drf_routes())


@deploy_check
def check_credentials_for_listed_origins(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E320: listed origins must be allowed to send the refresh cookie."""
    listed = allowed_origins() + allowed_origin_regexes()
    if not listed or allows_all_origins() or not credentials_left_off_by_project():
        return []
    if not session_views_routed():
        return []
    return [emit(E320, origins=", ".join(repr(origin) for origin in listed))]


@deploy_check
def check_origins_same_site(**kwargs: Any) -> list[CheckMessage]:
    """apisec.W321: each listed https origin on the API's site (the cookie is SameSite=Strict)."""
    sites = api_sites()
    if not sites or not allows_credentials() or not session_views_routed():
        return []
    messages: list[CheckMessage] = []
    for origin, url in parsed_origins():
        # Plain-http origins are apisec.E305 / E311 / W306 already (and another site anyway).
        if url.scheme == "https" and url.hostname and site_of(url.hostname) not in sites:
            messages.append(emit(W321, origin=origin))
    return messages
