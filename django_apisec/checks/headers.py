"""Response header checks (``apisec.E0xx`` / ``apisec.W0xx``, Django core), with the CSP.

This module holds apisec.E016-W021 (SecurityMiddleware, X-Frame-Options, nosniff,
Referrer-Policy, Cross-Origin-Opener-Policy) and apisec.W022-W024 (the Content-Security-Policy:
sent, without unsafe sources, through Django's own middleware where Django has one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings

from django_apisec import dotted_paths
from django_apisec.checks.core import installed_middleware
from django_apisec.checks.registry import deploy_check, emit, error, warning
from django_apisec.hardening import middleware_stack

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E016 = error(
    "apisec.E016",
    "django.middleware.security.SecurityMiddleware is not in MIDDLEWARE: no HSTS, no https "
    "redirect, no nosniff, no Referrer-Policy and no Cross-Origin-Opener-Policy are sent, "
    "whatever the settings say.",
    "Put 'django.middleware.security.SecurityMiddleware' first in MIDDLEWARE.",
)
E017 = error(
    "apisec.E017",
    "No valid X-Frame-Options header is sent: {reason}. Pages such as the admin can be framed "
    "by another site (clickjacking).",
    "Add 'django.middleware.clickjacking.XFrameOptionsMiddleware' to MIDDLEWARE and set "
    "X_FRAME_OPTIONS = 'DENY'.",
)
W018 = warning(
    "apisec.W018",
    "X_FRAME_OPTIONS is 'SAMEORIGIN': any page on this origin may frame the others, so one "
    "injectable page can clickjack the rest; an API never needs to be framed.",
    "Set X_FRAME_OPTIONS = 'DENY'.",
)
E019 = error(
    "apisec.E019",
    "SECURE_CONTENT_TYPE_NOSNIFF is off: browsers may sniff a JSON or uploaded response as "
    "HTML or script and run attacker-controlled content in the site's origin.",
    "Set SECURE_CONTENT_TYPE_NOSNIFF = True.",
)
W020 = warning(
    "apisec.W020",
    "SECURE_REFERRER_POLICY {reason}: full URLs, with ids and tokens in their query strings, "
    "are sent to other sites.",
    "Set SECURE_REFERRER_POLICY = 'same-origin' (or 'strict-origin-when-cross-origin').",
)
W021 = warning(
    "apisec.W021",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY {reason}: a page opened from another site keeps a "
    "handle on this one (cross-window attacks, XS-Leaks).",
    "Set SECURE_CROSS_ORIGIN_OPENER_POLICY = 'same-origin'.",
)

# --- Content-Security-Policy ----------------------------------------------------------------
W022 = warning(
    "apisec.W022",
    "No Content-Security-Policy is sent: {reason}. An HTML injection anywhere (the admin, an "
    "error page, a response sniffed as HTML) can run script in the site's origin.",
    "Add {middleware!r} to MIDDLEWARE and set SECURE_CSP, e.g. "
    "SECURE_CSP = {{'default-src': [\"'self'\"], 'frame-ancestors': [\"'none'\"]}}; "
    "harden() does both.",
)
W023 = warning(
    "apisec.W023",
    "SECURE_CSP allows {sources} in {directive}: the policy no longer stops injected script.",
    "Remove {sources} from {directive}; use nonces or hashes for the inline scripts you need.",
)
W024 = warning(
    "apisec.W024",
    "MIDDLEWARE uses django_apisec's CSP backport on a Django that ships its own CSP "
    "middleware: nonces and per-view overrides (csp_override) do not work with it.",
    f"Replace '{dotted_paths.CSP_BACKPORT_MIDDLEWARE}' with "
    f"'{dotted_paths.DJANGO_CSP_MIDDLEWARE}'; SECURE_CSP stays as it is.",
)

DJANGO_CSP_PACKAGE_MIDDLEWARE = "csp.middleware.CSPMiddleware"  # django-csp, its own settings
VALID_X_FRAME_OPTIONS = {"DENY", "SAMEORIGIN"}
WEAK_REFERRER_POLICIES = {"unsafe-url", "no-referrer-when-downgrade"}
UNSAFE_CSP_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "*")
CSP_SCRIPT_DIRECTIVES = ("default-src", "script-src")


@deploy_check
def check_security_middleware(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E016: SecurityMiddleware must be installed (it sends HSTS, nosniff, ...)."""
    return [] if dotted_paths.SECURITY_MIDDLEWARE in installed_middleware() else [E016]


def _x_frame_options() -> str | None:
    """The X-Frame-Options value Django sends, upper-cased; ``None`` when it is not a string."""
    value = getattr(settings, "X_FRAME_OPTIONS", "DENY")
    return value.upper() if isinstance(value, str) else None


@deploy_check
def check_x_frame_options(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E017: X-Frame-Options must be sent as DENY or SAMEORIGIN."""
    if dotted_paths.XFRAME_MIDDLEWARE not in installed_middleware():
        return [emit(E017, reason="XFrameOptionsMiddleware is not in MIDDLEWARE")]
    if _x_frame_options() not in VALID_X_FRAME_OPTIONS:
        value = getattr(settings, "X_FRAME_OPTIONS", "DENY")
        reason = f"X_FRAME_OPTIONS is {value!r}, not 'DENY' or 'SAMEORIGIN'"
        return [emit(E017, reason=reason)]
    return []


@deploy_check
def check_x_frame_options_deny(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W018: X-Frame-Options should be DENY rather than SAMEORIGIN."""
    sent = dotted_paths.XFRAME_MIDDLEWARE in installed_middleware()
    return [W018] if sent and _x_frame_options() == "SAMEORIGIN" else []


@deploy_check
def check_content_type_nosniff(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E019: X-Content-Type-Options: nosniff must be sent."""
    return [] if getattr(settings, "SECURE_CONTENT_TYPE_NOSNIFF", True) else [E019]


@deploy_check
def check_referrer_policy(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W020: the Referrer-Policy must not leak full URLs cross-origin."""
    value = getattr(settings, "SECURE_REFERRER_POLICY", "same-origin")
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, (list, tuple)):
        parts = [part for part in value if isinstance(part, str)]
    else:
        parts = []
    tokens = [part.strip().lower() for part in parts if part.strip()]
    if not value:
        return [emit(W020, reason="is not set, so browsers use their own default")]
    # Browsers apply the last policy they understand; earlier ones are fallbacks.
    if tokens and tokens[-1] in WEAK_REFERRER_POLICIES:
        return [emit(W020, reason=f"is {tokens[-1]!r}")]
    return []


@deploy_check
def check_cross_origin_opener_policy(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W021: Cross-Origin-Opener-Policy must isolate the browsing context."""
    value = getattr(settings, "SECURE_CROSS_ORIGIN_OPENER_POLICY", "same-origin")
    if not value:
        return [emit(W021, reason=f"is {value!r}, so no Cross-Origin-Opener-Policy is sent")]
    if isinstance(value, str) and value.strip().lower() == "unsafe-none":
        return [emit(W021, reason="is 'unsafe-none'")]
    return []


# --- Content-Security-Policy ----------------------------------------------------------------


def _csp_sent_by_settings() -> bool:
    """Whether a middleware that renders ``SECURE_CSP`` is installed."""
    middleware = installed_middleware()
    return (
        middleware_stack.csp_middleware() in middleware
        or dotted_paths.CSP_BACKPORT_MIDDLEWARE in middleware
    )


def _csp_config() -> Mapping[Any, Any] | None:
    value = getattr(settings, "SECURE_CSP", None)
    return value if isinstance(value, Mapping) and value else None


def _csp_sources(values: Any) -> set[str]:
    """The sources of one ``SECURE_CSP`` directive, lower-cased."""
    if isinstance(values, str):
        values = [values]
    elif not isinstance(values, (list, tuple, set, frozenset)):
        return set()
    return {token.lower() for item in values if isinstance(item, str) for token in item.split()}


@deploy_check
def check_csp_present(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W022: a Content-Security-Policy must be sent."""
    middleware = installed_middleware()
    if DJANGO_CSP_PACKAGE_MIDDLEWARE in middleware:
        return []  # django-csp configures its policy with its own settings
    wanted = middleware_stack.csp_middleware()
    if not _csp_sent_by_settings():
        return [emit(W022, reason=f"{wanted!r} is not in MIDDLEWARE", middleware=wanted)]
    if _csp_config() is None:
        value = getattr(settings, "SECURE_CSP", None)
        reason = f"SECURE_CSP is {value!r}, not a dict of directives"
        if getattr(settings, "SECURE_CSP_REPORT_ONLY", None):
            reason += " (SECURE_CSP_REPORT_ONLY only reports, it blocks nothing)"
        return [emit(W022, reason=reason, middleware=wanted)]
    return []


@deploy_check
def check_csp_sources(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W023: the CSP must not allow inline script, eval or any source."""
    config = _csp_config()
    if config is None or not _csp_sent_by_settings():
        return []  # apisec.W022 reports a missing policy
    messages = []
    for directive in CSP_SCRIPT_DIRECTIVES:
        found = _csp_sources(config.get(directive))
        unsafe = [source for source in UNSAFE_CSP_SOURCES if source in found]
        if unsafe:
            messages.append(emit(W023, sources=", ".join(unsafe), directive=directive))
    return messages


@deploy_check
def check_csp_backport(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W024: on Django 6.0+ use Django's CSP middleware, not our backport."""
    if (
        middleware_stack.django_has_builtin_csp()
        and dotted_paths.CSP_BACKPORT_MIDDLEWARE in installed_middleware()
    ):
        return [W024]
    return []
