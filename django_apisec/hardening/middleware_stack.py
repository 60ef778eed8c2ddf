"""The middleware stack ``harden()`` installs: which middleware, in which order.

Security middleware goes first; CSRF and clickjacking protection are never left out; the CSP
middleware is the one this Django version has.
"""

from __future__ import annotations

import django

from django_apisec.dotted_paths import (
    API_SECURITY_MIDDLEWARE,
    AUTH_MIDDLEWARE,
    COMMON_MIDDLEWARE,
    CORS_MIDDLEWARE,
    CSP_BACKPORT_MIDDLEWARE,
    CSRF_MIDDLEWARE,
    DJANGO_CSP_MIDDLEWARE,
    MESSAGE_MIDDLEWARE,
    SECURITY_MIDDLEWARE,
    SESSION_MIDDLEWARE,
    XFRAME_MIDDLEWARE,
)

# startproject's stack, used when the project defines no MIDDLEWARE at all.
DEFAULT_MIDDLEWARE = [
    SECURITY_MIDDLEWARE,
    SESSION_MIDDLEWARE,
    COMMON_MIDDLEWARE,
    CSRF_MIDDLEWARE,
    AUTH_MIDDLEWARE,
    MESSAGE_MIDDLEWARE,
    XFRAME_MIDDLEWARE,
]


def django_has_builtin_csp() -> bool:
    """Whether this Django ships ``SECURE_CSP`` and its middleware (6.0 and later)."""
    return django.VERSION >= (6, 0)


def csp_middleware() -> str:
    """The CSP middleware for this Django: Django's own where it exists, ours on 5.2."""
    return DJANGO_CSP_MIDDLEWARE if django_has_builtin_csp() else CSP_BACKPORT_MIDDLEWARE


def ordered_middleware(middleware: list[str]) -> list[str]:
    """``middleware`` with the security middleware first and CSRF and clickjacking protection in.

    SecurityMiddleware answers the https redirect; CorsMiddleware must run before anything that
    can answer a request (CommonMiddleware's redirects) so those answers carry CORS headers; the
    CSP middleware is the one this Django version has (a project upgraded from 5.2 keeps working).
    The API middleware comes right after it: its headers are set before the CSP middleware's
    (which never overwrites one), and it bounds the body before anything reads it.
    """
    head = [SECURITY_MIDDLEWARE, CORS_MIDDLEWARE, csp_middleware(), API_SECURITY_MIDDLEWARE]
    replaced = {*head, DJANGO_CSP_MIDDLEWARE, CSP_BACKPORT_MIDDLEWARE}
    rest = [entry for entry in middleware if entry not in replaced]
    if CSRF_MIDDLEWARE not in rest:
        at = rest.index(AUTH_MIDDLEWARE) if AUTH_MIDDLEWARE in rest else len(rest)
        rest.insert(at, CSRF_MIDDLEWARE)
    if XFRAME_MIDDLEWARE not in rest:
        rest.append(XFRAME_MIDDLEWARE)
    return head + rest
