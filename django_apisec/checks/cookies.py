"""Cookie checks (``apisec.E0xx`` / ``apisec.W0xx``, Django core): session, CSRF, language.

This module holds apisec.E008-W015: the cookies Django sets must be Secure, HttpOnly where a
script has no business reading them, SameSite, and named with a ``__Host-``/``__Secure-`` prefix
whose scope browsers accept. A cookie Django does not set (the session cookie without sessions,
the CSRF cookie with ``CSRF_USE_SESSIONS``) is not judged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings

from django_apisec.checks.core import installed_middleware
from django_apisec.checks.registry import config_check, deploy_check, emit, error, warning
from django_apisec.dotted_paths import SESSION_MIDDLEWARE
from django_apisec.http.cookies import PREFIXES

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E008 = error(
    "apisec.E008",
    "SESSION_COOKIE_SECURE is off: the session cookie is sent over plain http, where it can be "
    "stolen and replayed (a __Host-/__Secure- named cookie is rejected by browsers instead).",
    "Set SESSION_COOKIE_SECURE = True.",
)
E009 = error(
    "apisec.E009",
    "CSRF_COOKIE_SECURE is off: the CSRF cookie is sent over plain http, where an attacker can "
    "read or overwrite it (a __Host-/__Secure- named cookie is rejected by browsers instead).",
    "Set CSRF_COOKIE_SECURE = True.",
)
E010 = error(
    "apisec.E010",
    "SESSION_COOKIE_HTTPONLY is off: any injected script can read the session cookie and "
    "hijack the session.",
    "Set SESSION_COOKIE_HTTPONLY = True.",
)
E011 = error(
    "apisec.E011",
    "SESSION_COOKIE_SAMESITE {reason}.",
    "Set SESSION_COOKIE_SAMESITE = 'Lax' (or 'Strict').",
)
W012 = warning(
    "apisec.W012",
    "CSRF_COOKIE_SAMESITE {reason}.",
    "Set CSRF_COOKIE_SAMESITE = 'Strict' (or 'Lax').",
)
W013 = warning(
    "apisec.W013",
    "{setting} is {name!r}, without a __Host- or __Secure- prefix: a sibling subdomain or a "
    "network attacker over http can plant this cookie (session fixation, CSRF token "
    "injection){default}.",
    "Name it '__Host-{base}' (Secure, Path=/, no Domain), or '__Secure-{base}' when the cookie "
    "needs a Domain; harden(profile='production') does.",
)
E014 = error(
    "apisec.E014",
    "{setting} is {name!r} but {problem}: browsers reject a __Host- cookie that has a Domain "
    "or a Path other than '/', so the cookie is never stored and the feature relying on it "
    "fails.",
    "Remove {prefix}_DOMAIN and set {prefix}_PATH = '/', or use the '__Secure-' prefix instead.",
)
W015 = warning(
    "apisec.W015",
    "LANGUAGE_COOKIE_SECURE is off: the language cookie is sent over plain http, where an "
    "attacker can overwrite it.",
    "Set LANGUAGE_COOKIE_SECURE = True.",
)



def _sessions_in_use() -> bool:
    # As Django's own session cookie checks: the app or its middleware.
    return (
        apps.is_installed("django.contrib.sessions") or SESSION_MIDDLEWARE in installed_middleware()
    )


def _csrf_cookie_in_use() -> bool:
    # With CSRF_USE_SESSIONS the token lives in the session and no CSRF cookie is set.
    return not getattr(settings, "CSRF_USE_SESSIONS", False)


def _samesite_problem(value: Any) -> str | None:
    """Why a SameSite setting lets the cookie travel cross-site or breaks it; ``None`` if fine."""
    if value is None or value is False:
        return (
            f"is {value!r}: the cookie has no SameSite attribute, and browsers without a Lax "
            "default send it on cross-site requests"
        )
    lower = getattr(value, "lower", None)
    text = lower() if callable(lower) else None
    if text == "none":
        return "is 'None': browsers send the cookie on every cross-site request"
    if text not in ("lax", "strict"):
        return (
            f"is {value!r}, not 'Lax' or 'Strict': Django raises ValueError whenever it sets "
            "the cookie"
        )
    return None


@deploy_check
def check_session_cookie_secure(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E008: the session cookie must be Secure."""
    if not _sessions_in_use() or getattr(settings, "SESSION_COOKIE_SECURE", False):
        return []
    return [E008]


@deploy_check
def check_csrf_cookie_secure(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E009: the CSRF cookie must be Secure."""
    if not _csrf_cookie_in_use() or getattr(settings, "CSRF_COOKIE_SECURE", False):
        return []
    return [E009]


@deploy_check
def check_session_cookie_httponly(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E010: the session cookie must be HttpOnly."""
    if not _sessions_in_use() or getattr(settings, "SESSION_COOKIE_HTTPONLY", True):
        return []
    return [E010]


@deploy_check
def check_session_cookie_samesite(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E011: the session cookie must be SameSite=Lax or Strict."""
    if not _sessions_in_use():
        return []
    reason = _samesite_problem(getattr(settings, "SESSION_COOKIE_SAMESITE", "Lax"))
    return [emit(E011, reason=reason)] if reason else []


@deploy_check
def check_csrf_cookie_samesite(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W012: the CSRF cookie should be SameSite=Strict or Lax."""
    if not _csrf_cookie_in_use():
        return []
    reason = _samesite_problem(getattr(settings, "CSRF_COOKIE_SAMESITE", "Lax"))
    return [emit(W012, reason=reason)] if reason else []


def _cookies_in_use() -> list[tuple[str, str]]:
    """``(setting prefix, default name)`` of the session and CSRF cookies that are set."""
    cookies = []
    if _sessions_in_use():
        cookies.append(("SESSION_COOKIE", "sessionid"))
    if _csrf_cookie_in_use():
        cookies.append(("CSRF_COOKIE", "csrftoken"))
    return cookies


@deploy_check
def check_cookie_name_prefix(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W013: session and CSRF cookie names should carry a __Host-/__Secure- prefix."""
    messages = []
    for prefix, base in _cookies_in_use():
        name = getattr(settings, f"{prefix}_NAME", base)
        if isinstance(name, str) and not name.startswith(PREFIXES):
            default = ", and Django's default name tells everyone what runs" if name == base else ""
            messages.append(
                emit(W013, setting=f"{prefix}_NAME", name=name, base=base, default=default)
            )
    return messages


@config_check
def check_host_cookie_scope(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E014: a __Host- cookie must have no Domain and Path '/' (browsers drop it)."""
    messages = []
    for prefix, base in [*_cookies_in_use(), ("LANGUAGE_COOKIE", "django_language")]:
        name = getattr(settings, f"{prefix}_NAME", base)
        # Browsers match cookie prefixes case-insensitively.
        if not isinstance(name, str) or not name.lower().startswith("__host-"):
            continue
        domain = getattr(settings, f"{prefix}_DOMAIN", None)
        path = getattr(settings, f"{prefix}_PATH", "/")
        if domain:
            problem = f"{prefix}_DOMAIN is {domain!r}"
        elif path != "/":
            problem = f"{prefix}_PATH is {path!r}"
        else:
            continue
        messages.append(
            emit(E014, setting=f"{prefix}_NAME", name=name, problem=problem, prefix=prefix)
        )
    return messages


@deploy_check
def check_language_cookie_secure(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W015: the language cookie should be Secure."""
    return [] if getattr(settings, "LANGUAGE_COOKIE_SECURE", False) else [W015]
