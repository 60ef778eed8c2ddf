"""Transport checks (``apisec.E0xx`` / ``apisec.W0xx``, Django core): HTTPS and HSTS.

This module holds apisec.E004-W007: plain http must be redirected, and HSTS must last a year,
cover subdomains and be preloadable. Subdomains and preload are only judged while HSTS is on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from django_apisec.checks.core import as_int
from django_apisec.checks.registry import deploy_check, emit, error, warning
from django_apisec.hardening import profiles

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E004 = error(
    "apisec.E004",
    "SECURE_SSL_REDIRECT is off: requests over plain http are served, so credentials and "
    "tokens sent by a client that forgot https travel in clear text.",
    "Set SECURE_SSL_REDIRECT = True (behind a TLS-terminating proxy also set "
    "APISEC_TRUSTED_PROXIES so SECURE_PROXY_SSL_HEADER is trusted).",
)
E005 = error(
    "apisec.E005",
    "HSTS is too short: SECURE_HSTS_SECONDS {reason}. Browsers may still try http first, which "
    "a network attacker can intercept (SSL stripping).",
    "Set SECURE_HSTS_SECONDS = 31536000 (one year) or more.",
)
W006 = warning(
    "apisec.W006",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS is off: subdomains can be reached over http, where an "
    "attacker can set cookies for the parent domain.",
    "Set SECURE_HSTS_INCLUDE_SUBDOMAINS = True once every subdomain serves https.",
)
W007 = warning(
    "apisec.W007",
    "SECURE_HSTS_PRELOAD is off: a browser's very first request to the site can still be made "
    "over http.",
    "Set SECURE_HSTS_PRELOAD = True and submit the domain at hstspreload.org.",
)


@deploy_check
def check_ssl_redirect(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E004: plain http must be redirected to https."""
    return [] if getattr(settings, "SECURE_SSL_REDIRECT", False) else [E004]


def _hsts_seconds() -> int | None:
    return as_int(getattr(settings, "SECURE_HSTS_SECONDS", 0))


@deploy_check
def check_hsts_seconds(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E005: HSTS must last at least a year."""
    raw = getattr(settings, "SECURE_HSTS_SECONDS", 0)
    seconds = _hsts_seconds()
    if seconds is None:
        return [emit(E005, reason=f"is {raw!r}, not a number of seconds")]
    if seconds < profiles.ONE_YEAR:
        detail = "is 0 (HSTS is off)" if seconds == 0 else f"is {seconds}"
        return [emit(E005, reason=f"{detail}, less than one year ({profiles.ONE_YEAR})")]
    return []


@deploy_check
def check_hsts_subdomains(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W006: HSTS must cover subdomains (only judged while HSTS is on)."""
    if (_hsts_seconds() or 0) <= 0:
        return []
    return [] if getattr(settings, "SECURE_HSTS_INCLUDE_SUBDOMAINS", False) else [W006]


@deploy_check
def check_hsts_preload(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W007: HSTS should be preloadable (only judged while HSTS is on)."""
    if (_hsts_seconds() or 0) <= 0:
        return []
    return [] if getattr(settings, "SECURE_HSTS_PRELOAD", False) else [W007]
