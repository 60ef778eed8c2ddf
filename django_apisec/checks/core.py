"""Django core checks (``apisec.E0xx`` / ``apisec.W0xx``).

Where Django's own deploy checks only warn, these are errors when an attacker gains something.
Django's ``security.*`` checks still run; these are additional. Each check reads its settings at
call time and never raises on an unusual value (a wrong type, a lazy object, a dotted path that
does not import): what it cannot judge it leaves to Django's own checks.

The checks do not overlap: one insecure setting yields one id. Checks that only make sense when a
feature is on (HSTS scope, the CSRF cookie, the session cookie, CSP sources) say nothing while it
is off, because the check for "off" already reports it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, PBKDF2PasswordHasher
from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from django_apisec import hardening
from django_apisec.checks.registry import config_check, deploy_check, emit, error, warning

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E001 = error(
    "apisec.E001",
    "DEBUG is True in a deployment: tracebacks, settings and SQL are shown to anyone.",
    "Set DEBUG = False (harden(profile='production') does unless the project sets it).",
)
E002 = error(
    "apisec.E002",
    "SECRET_KEY is weak: {reason}. Sessions, password reset tokens and signed data can be forged.",
    "Set DJANGO_SECRET_KEY to a random value of at least 50 characters, e.g. "
    'python -c "import secrets; print(secrets.token_urlsafe(64))".',
)
E003 = error(
    "apisec.E003",
    "ALLOWED_HOSTS contains '*': any Host header is accepted (host header poisoning of "
    "password reset links and caches).",
    "List the exact host names the API is served on, e.g. ALLOWED_HOSTS = ['api.example.com'].",
)

# --- Transport: HTTPS and HSTS -------------------------------------------------------------
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

# --- Cookies --------------------------------------------------------------------------------
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

# --- Response headers -----------------------------------------------------------------------
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
    "Replace 'django_apisec.middleware.ContentSecurityPolicyMiddleware' with "
    "'django.middleware.csp.ContentSecurityPolicyMiddleware'; SECURE_CSP stays as it is.",
)

# --- Passwords ------------------------------------------------------------------------------
E025 = error(
    "apisec.E025",
    "The first of PASSWORD_HASHERS, {path}, uses {algorithm}: new password hashes can be "
    "cracked at billions of guesses per second once the database leaks.",
    "Put 'django.contrib.auth.hashers.Argon2PasswordHasher' first; keep {path} after it only "
    "while old hashes remain (they are upgraded at the next login).",
)
W026 = warning(
    "apisec.W026",
    "PASSWORD_HASHERS still accepts {path} ({algorithm}): hashes of users who have not logged "
    "in since the change stay crackable.",
    "Once the old hashes are gone (or upgraded by wrapping them, see Django's 'Password "
    "upgrading without requiring a login'), remove {path}.",
)
E027 = error(
    "apisec.E027",
    "{path} uses Argon2 with {reason}, below OWASP's minimum: new password hashes are cheaper "
    "to crack than they should be.",
    "Use at least one of OWASP's Argon2id settings: memory_cost=47104 time_cost=1, 19456/2, "
    "12288/3, 9216/4 or 7168/5 (KiB/passes), parallelism >= 1; Django's defaults "
    "(102400/2/8) are above it.",
)
E028 = error(
    "apisec.E028",
    "{path} uses PBKDF2-{digest} with {iterations} iterations, below OWASP's minimum of "
    "{minimum}: new password hashes are cheaper to crack than they should be.",
    "Use Django's PBKDF2PasswordHasher with its default iterations, or better, put "
    "'django.contrib.auth.hashers.Argon2PasswordHasher' first.",
)
E029 = error(
    "apisec.E029",
    "The first of PASSWORD_HASHERS, {path}, needs the {library!r} module, which cannot be "
    "imported: every login and password change fails with an exception.",
    "Install it (pip install argon2-cffi for Argon2, pip install bcrypt for BCrypt), or put a "
    "hasher first whose library is installed.",
)
E030 = error(
    "apisec.E030",
    "PASSWORD_HASHERS cannot be loaded: {reason}. Django loads every hasher on the first "
    "password check, so every login and password change fails with an exception.",
    "Make PASSWORD_HASHERS a non-empty list of importable hasher class paths, e.g. "
    "['django.contrib.auth.hashers.Argon2PasswordHasher', "
    "'django.contrib.auth.hashers.PBKDF2PasswordHasher'].",
)
E031 = error(
    "apisec.E031",
    "DATA_UPLOAD_MAX_MEMORY_SIZE is None: request bodies of any size are read into memory, "
    "so one request can exhaust the server's memory.",
    "Set DATA_UPLOAD_MAX_MEMORY_SIZE to a bound, e.g. 1048576 (1 MiB).",
)
E032 = error(
    "apisec.E032",
    "DATA_UPLOAD_MAX_NUMBER_FIELDS is None: a request may carry any number of form fields "
    "(hash collision and CPU exhaustion attacks).",
    "Set DATA_UPLOAD_MAX_NUMBER_FIELDS to a bound, e.g. 200.",
)
E033 = error(
    "apisec.E033",
    "DATA_UPLOAD_MAX_NUMBER_FILES is None: a request may carry any number of files (disk, "
    "file handle and CPU exhaustion).",
    "Set DATA_UPLOAD_MAX_NUMBER_FILES to a bound, e.g. 10.",
)
E034 = error(
    "apisec.E034",
    "AUTH_PASSWORD_VALIDATORS {reason}: any password, even '1', is accepted, and accounts "
    "fall to the first guesses of a credential-stuffing or brute-force attack.",
    "Set AUTH_PASSWORD_VALIDATORS to Django's four validators with "
    "MinimumLengthValidator OPTIONS {{'min_length': 12}}; harden() does.",
)
W035 = warning(
    "apisec.W035",
    "AUTH_PASSWORD_VALIDATORS {reason}: short passwords are accepted.",
    "Add {{'NAME': 'django.contrib.auth.password_validation.MinimumLengthValidator', "
    "'OPTIONS': {{'min_length': 12}}}} to AUTH_PASSWORD_VALIDATORS.",
)

# --- Errors, process, secrets, CSRF origins -------------------------------------------------
E036 = error(
    "apisec.E036",
    "DEBUG_PROPAGATE_EXCEPTIONS is True: exceptions escape Django's handler, so the server "
    "may show tracebacks and internals to clients.",
    "Set DEBUG_PROPAGATE_EXCEPTIONS = False.",
)
W037 = warning(
    "apisec.W037",
    "The process runs as root: any code execution bug gives the attacker the whole machine.",
    "Run the application server as an unprivileged user (e.g. USER app in the Dockerfile, "
    "User= in the systemd unit).",
)
E038 = error(
    "apisec.E038",
    "{where} is weak: {reason}. Django still accepts sessions, password reset tokens and "
    "signed data signed with every fallback key, so they can be forged.",
    "Remove the weak key from SECRET_KEY_FALLBACKS (a list of old keys, each a random value of "
    "at least 50 characters), e.g. SECRET_KEY_FALLBACKS = [os.environ['OLD_SECRET_KEY']].",
)
W039 = warning(
    "apisec.W039",
    "CSRF_TRUSTED_ORIGINS contains the plain http origin {origin!r}: a network attacker who "
    "controls that origin's traffic can send requests that pass the CSRF check.",
    "Trust only https origins, e.g. 'https://app.example.com'.",
)
E040 = error(
    "apisec.E040",
    "CSRF_TRUSTED_ORIGINS contains the wildcard origin {origin!r}, meant to trust {scope}: "
    "any such site could make authenticated, state-changing requests for the user (CSRF).",
    "List exact origins, or subdomains of a domain you own, e.g. 'https://*.example.com'.",
)

MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_UNIQUE_CHARACTERS = 5
INSECURE_PREFIX = "django-insecure-"

SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"
DJANGO_CSP_PACKAGE_MIDDLEWARE = "csp.middleware.CSPMiddleware"  # django-csp, its own settings
COOKIE_PREFIXES = ("__Host-", "__Secure-")
VALID_X_FRAME_OPTIONS = {"DENY", "SAMEORIGIN"}
WEAK_REFERRER_POLICIES = {"unsafe-url", "no-referrer-when-downgrade"}
UNSAFE_CSP_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "*")
CSP_SCRIPT_DIRECTIVES = ("default-src", "script-src")
WEAK_HASH_ALGORITHMS = {"md5", "sha1", "unsalted_md5", "unsalted_sha1", "crypt"}
# OWASP Password Storage Cheat Sheet: Argon2id memory (KiB) needed for each number of passes.
ARGON2_MIN_MEMORY_KIB = {1: 47104, 2: 19456, 3: 12288, 4: 9216, 5: 7168}
# OWASP Password Storage Cheat Sheet: PBKDF2 iterations per HMAC digest.
PBKDF2_MIN_ITERATIONS = {"sha1": 1_300_000, "sha256": 600_000, "sha512": 210_000}
MIN_PASSWORD_LENGTH = 12
LOOPBACK_HOSTS = {"localhost", "::1"}


def secret_weakness(value: Any) -> str | None:
    """Why ``value`` is not a strong secret key, or ``None`` when it is."""
    if not isinstance(value, (str, bytes)) or not value:
        return "it is empty or not a string"
    text = value.decode(errors="replace") if isinstance(value, bytes) else value
    if text.startswith(INSECURE_PREFIX):
        return f"it starts with {INSECURE_PREFIX!r} (generated by startproject)"
    if len(text) < MIN_SECRET_KEY_LENGTH:
        return f"it is {len(text)} characters long (at least {MIN_SECRET_KEY_LENGTH} needed)"
    if len(set(text)) < MIN_SECRET_KEY_UNIQUE_CHARACTERS:
        return f"it has fewer than {MIN_SECRET_KEY_UNIQUE_CHARACTERS} distinct characters"
    return None


def _entries(value: Any) -> list[Any]:
    """A list-like setting as a list; a lone string as one entry; anything else as empty."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return []


def _middleware() -> list[Any]:
    return _entries(getattr(settings, "MIDDLEWARE", []))


def _int(value: Any) -> int | None:
    """``value`` as an int, or ``None`` when it is not a number (booleans are not)."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@deploy_check
def check_debug(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E001: DEBUG must be off."""
    return [E001] if getattr(settings, "DEBUG", False) is True else []


@deploy_check
def check_secret_key(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E002: SECRET_KEY must be long and random."""
    try:
        value = getattr(settings, "SECRET_KEY", "")
    except ImproperlyConfigured:  # Django refuses to hand out an empty SECRET_KEY
        value = ""
    reason = secret_weakness(value)
    return [emit(E002, reason=reason)] if reason else []


@deploy_check
def check_allowed_hosts(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E003: ALLOWED_HOSTS must not accept every host."""
    return [E003] if "*" in _entries(getattr(settings, "ALLOWED_HOSTS", [])) else []


# --- Transport ------------------------------------------------------------------------------


@deploy_check
def check_ssl_redirect(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E004: plain http must be redirected to https."""
    return [] if getattr(settings, "SECURE_SSL_REDIRECT", False) else [E004]


def _hsts_seconds() -> int | None:
    return _int(getattr(settings, "SECURE_HSTS_SECONDS", 0))


@deploy_check
def check_hsts_seconds(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E005: HSTS must last at least a year."""
    raw = getattr(settings, "SECURE_HSTS_SECONDS", 0)
    seconds = _hsts_seconds()
    if seconds is None:
        return [emit(E005, reason=f"is {raw!r}, not a number of seconds")]
    if seconds < hardening.ONE_YEAR:
        detail = "is 0 (HSTS is off)" if seconds == 0 else f"is {seconds}"
        return [emit(E005, reason=f"{detail}, less than one year ({hardening.ONE_YEAR})")]
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


# --- Cookies --------------------------------------------------------------------------------


def _sessions_in_use() -> bool:
    # As Django's own session cookie checks: the app or its middleware.
    return apps.is_installed("django.contrib.sessions") or SESSION_MIDDLEWARE in _middleware()


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
        if isinstance(name, str) and not name.startswith(COOKIE_PREFIXES):
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


# --- Response headers -----------------------------------------------------------------------


@deploy_check
def check_security_middleware(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E016: SecurityMiddleware must be installed (it sends HSTS, nosniff, ...)."""
    return [] if hardening.SECURITY_MIDDLEWARE in _middleware() else [E016]


def _x_frame_options() -> str | None:
    """The X-Frame-Options value Django sends, upper-cased; ``None`` when it is not a string."""
    value = getattr(settings, "X_FRAME_OPTIONS", "DENY")
    return value.upper() if isinstance(value, str) else None


@deploy_check
def check_x_frame_options(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E017: X-Frame-Options must be sent as DENY or SAMEORIGIN."""
    if hardening.XFRAME_MIDDLEWARE not in _middleware():
        return [emit(E017, reason="XFrameOptionsMiddleware is not in MIDDLEWARE")]
    if _x_frame_options() not in VALID_X_FRAME_OPTIONS:
        value = getattr(settings, "X_FRAME_OPTIONS", "DENY")
        reason = f"X_FRAME_OPTIONS is {value!r}, not 'DENY' or 'SAMEORIGIN'"
        return [emit(E017, reason=reason)]
    return []


@deploy_check
def check_x_frame_options_deny(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W018: X-Frame-Options should be DENY rather than SAMEORIGIN."""
    sent = hardening.XFRAME_MIDDLEWARE in _middleware()
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
    middleware = _middleware()
    return hardening.csp_middleware() in middleware or hardening.APISEC_CSP_MIDDLEWARE in middleware


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
    middleware = _middleware()
    if DJANGO_CSP_PACKAGE_MIDDLEWARE in middleware:
        return []  # django-csp configures its policy with its own settings
    wanted = hardening.csp_middleware()
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
    if hardening.django_has_builtin_csp() and hardening.APISEC_CSP_MIDDLEWARE in _middleware():
        return [W024]
    return []


# --- Password hashers -----------------------------------------------------------------------


def _load_hasher(path: Any) -> type[Any] | str:
    """The hasher class at ``path``, or why Django cannot load it."""
    if not isinstance(path, str):
        return f"{path!r} is not a dotted path"
    try:
        hasher = import_string(path)
    except Exception as exc:  # noqa: BLE001 - importing project code may raise anything
        return f"{path!r} cannot be imported ({type(exc).__name__}: {exc})"
    if not isinstance(hasher, type):
        return f"{path!r} is not a class"
    if not getattr(hasher, "algorithm", None):
        return f"{path!r} does not name an algorithm"
    return hasher


def _hashers() -> list[tuple[str, type[Any]]]:
    """``(path, class)`` of every loadable entry of PASSWORD_HASHERS, in order."""
    value = getattr(settings, "PASSWORD_HASHERS", [])
    if not isinstance(value, (list, tuple)):
        return []
    loaded = [(path, _load_hasher(path)) for path in value]
    return [(path, hasher) for path, hasher in loaded if isinstance(hasher, type)]


def _first_hasher() -> tuple[str, type[Any]] | None:
    value = getattr(settings, "PASSWORD_HASHERS", [])
    if not isinstance(value, (list, tuple)) or not value:
        return None
    hasher = _load_hasher(value[0])
    return (value[0], hasher) if isinstance(hasher, type) else None


def _weak_algorithm(hasher: type[Any]) -> str | None:
    algorithm = getattr(hasher, "algorithm", None)
    if isinstance(algorithm, str) and algorithm.lower() in WEAK_HASH_ALGORITHMS:
        return algorithm
    return None


@config_check
def check_password_hashers_load(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E030: every entry of PASSWORD_HASHERS must import as a hasher class."""
    value = getattr(settings, "PASSWORD_HASHERS", [])
    if not isinstance(value, (list, tuple)):
        return [emit(E030, reason=f"it is {type(value).__name__}, not a list")]
    if not value:
        return [emit(E030, reason="it is empty")]
    reasons = [_load_hasher(path) for path in value]
    return [emit(E030, reason=reason) for reason in reasons if isinstance(reason, str)]


@deploy_check
def check_first_hasher_strength(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E025: the hasher that creates new hashes must not be a fast digest."""
    first = _first_hasher()
    if first is None:
        return []
    path, hasher = first
    algorithm = _weak_algorithm(hasher)
    return [emit(E025, path=path, algorithm=algorithm)] if algorithm else []


@deploy_check
def check_fallback_hashers(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W026: fast digests should not stay accepted as fallbacks."""
    messages = []
    for path, hasher in _hashers()[1:]:
        algorithm = _weak_algorithm(hasher)
        if algorithm:
            messages.append(emit(W026, path=path, algorithm=algorithm))
    return messages


def _argon2_problem(hasher: type[Any]) -> str | None:
    time_cost = _int(getattr(hasher, "time_cost", None))
    memory_cost = _int(getattr(hasher, "memory_cost", None))
    parallelism = _int(getattr(hasher, "parallelism", None))
    if time_cost is None or memory_cost is None or parallelism is None:
        return None  # computed at run time: nothing to judge here
    if time_cost < 1 or parallelism < 1:
        return f"time_cost={time_cost} and parallelism={parallelism} (both must be >= 1)"
    needed = ARGON2_MIN_MEMORY_KIB[min(time_cost, max(ARGON2_MIN_MEMORY_KIB))]
    if memory_cost < needed:
        return (
            f"memory_cost={memory_cost} KiB and time_cost={time_cost} (at least {needed} KiB "
            f"needed with {time_cost} passes)"
        )
    return None


@deploy_check
def check_argon2_parameters(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E027: a first Argon2 hasher must meet OWASP's memory/time minimum."""
    first = _first_hasher()
    if first is None or not issubclass(first[1], Argon2PasswordHasher):
        return []
    reason = _argon2_problem(first[1])
    return [emit(E027, path=first[0], reason=reason)] if reason else []


def _pbkdf2_digest(hasher: type[Any]) -> str:
    try:
        return str(hasher.digest().name).lower()
    except (AttributeError, TypeError, ValueError):
        return "sha256"


@deploy_check
def check_pbkdf2_iterations(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E028: a first PBKDF2 hasher must meet OWASP's iteration minimum."""
    first = _first_hasher()
    if first is None or not issubclass(first[1], PBKDF2PasswordHasher):
        return []
    path, hasher = first
    iterations = _int(getattr(hasher, "iterations", None))
    digest = _pbkdf2_digest(hasher)
    minimum = PBKDF2_MIN_ITERATIONS.get(digest, PBKDF2_MIN_ITERATIONS["sha256"])
    if iterations is None or iterations >= minimum:
        return []
    return [
        emit(
            E028,
            path=path,
            digest=digest.upper(),
            iterations=f"{iterations:,}",
            minimum=f"{minimum:,}",
        )
    ]


@config_check
def check_first_hasher_library(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E029: the library of the first hasher (argon2-cffi, bcrypt) must import."""
    first = _first_hasher()
    if first is None:
        return []
    path, hasher = first
    library = getattr(hasher, "library", None)
    # As BasePasswordHasher._load_library: a module path, or a (name, module path) pair.
    if isinstance(library, (tuple, list)) and len(library) == 2:
        library = library[1]
    if not isinstance(library, str):
        return []
    try:
        importlib.import_module(library)
    except ImportError:
        return [emit(E029, path=path, library=library)]
    return []


# --- Password validators --------------------------------------------------------------------


def _validators() -> list[Any] | None:
    value = getattr(settings, "AUTH_PASSWORD_VALIDATORS", [])
    return list(value) if isinstance(value, (list, tuple)) else None


@deploy_check
def check_password_validators(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E034: passwords must be validated."""
    validators = _validators()
    if validators is None:
        value = getattr(settings, "AUTH_PASSWORD_VALIDATORS", [])
        return [emit(E034, reason=f"is {type(value).__name__}, not a list of validators")]
    return [] if validators else [emit(E034, reason="is empty")]


def _minimum_length(entry: Any) -> int | None:
    """The min_length a validator entry enforces, or ``None`` if it is no length validator."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("NAME"), str):
        return None
    try:
        validator = import_string(entry["NAME"])
        if not (isinstance(validator, type) and issubclass(validator, MinimumLengthValidator)):
            return None
        options = entry.get("OPTIONS") or {}
        return _int(validator(**options).min_length)
    except Exception:  # noqa: BLE001 - project validators may raise anything; Django reports it
        return None


@deploy_check
def check_password_minimum_length(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W035: passwords should be at least 12 characters long."""
    validators = _validators()
    if not validators:
        return []  # apisec.E034
    lengths = [n for n in map(_minimum_length, validators) if n is not None]
    if not lengths:
        return [emit(W035, reason="has no MinimumLengthValidator")]
    if max(lengths) < MIN_PASSWORD_LENGTH:
        reason = f"requires only {max(lengths)} characters (at least {MIN_PASSWORD_LENGTH})"
        return [emit(W035, reason=reason)]
    return []


# --- Request size limits --------------------------------------------------------------------

UPLOAD_LIMITS = (
    ("DATA_UPLOAD_MAX_MEMORY_SIZE", E031),
    ("DATA_UPLOAD_MAX_NUMBER_FIELDS", E032),
    ("DATA_UPLOAD_MAX_NUMBER_FILES", E033),
)


@deploy_check
def check_upload_limits(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E031, E032, E033: request body, field and file counts must be bounded."""
    # Unset means Django's own default bound; only an explicit None removes the limit.
    return [message for name, message in UPLOAD_LIMITS if getattr(settings, name, 0) is None]


# --- Errors, process, secrets, CSRF origins -------------------------------------------------


@deploy_check
def check_debug_propagate_exceptions(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E036: exceptions must be handled by Django, not propagated to the server."""
    return [E036] if getattr(settings, "DEBUG_PROPAGATE_EXCEPTIONS", False) else []


@deploy_check
def check_not_root(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W037: the process should not run as root (POSIX only)."""
    geteuid = getattr(os, "geteuid", None)
    return [W037] if geteuid is not None and geteuid() == 0 else []


@deploy_check
def check_secret_key_fallbacks(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E038: every SECRET_KEY_FALLBACKS key must be as strong as SECRET_KEY."""
    value = getattr(settings, "SECRET_KEY_FALLBACKS", [])
    if isinstance(value, (str, bytes)):
        if not value:
            return []
        # Django iterates the setting, so each character becomes a one-character key.
        why = "it is a string, not a list, so every single character is a fallback key"
        return [emit(E038, where="SECRET_KEY_FALLBACKS", reason=why)]
    messages = []
    for index, key in enumerate(_entries(value)):
        reason = secret_weakness(key)
        if reason:
            messages.append(emit(E038, where=f"SECRET_KEY_FALLBACKS[{index}]", reason=reason))
    return messages


def _origin_host(origin: str) -> str | None:
    try:
        return urlsplit(origin).hostname
    except ValueError:
        return None


def _wildcard_scope(origin: str) -> str | None:
    """What a wildcard trusted origin is meant to cover, or ``None`` if it is not one."""
    if origin.strip() == "*":
        return "every origin"
    host = _origin_host(origin)
    if host == "*":
        return "every origin"
    if host and host.startswith("*.") and "." not in host[2:]:
        return f"every site under the top-level domain .{host[2:]}"
    return None


def _is_loopback(host: str | None) -> bool:
    return host is not None and (
        host in LOOPBACK_HOSTS or host.startswith("127.") or host.endswith(".localhost")
    )


@deploy_check
def check_csrf_trusted_origins(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W039, E040: trusted CSRF origins must be https and never a bare wildcard."""
    messages = []
    for origin in _entries(getattr(settings, "CSRF_TRUSTED_ORIGINS", [])):
        if not isinstance(origin, str):
            continue
        scope = _wildcard_scope(origin)
        if scope:
            messages.append(emit(E040, origin=origin, scope=scope))
        elif origin.lower().startswith("http://") and not _is_loopback(_origin_host(origin)):
            messages.append(emit(W039, origin=origin))
    return messages
