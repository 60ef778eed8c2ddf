"""Django core checks (``apisec.E0xx`` / ``apisec.W0xx``): the basics of a deployment.

This module holds apisec.E001-E003 and E042 (DEBUG, SECRET_KEY, ALLOWED_HOSTS), apisec.E031-E033
(request size limits) and apisec.E036-E040 (errors, the process, fallback secrets, CSRF
origins). The other 0xx checks live next to it, one topic each: :mod:`.transport` (E004-W007),
:mod:`.cookies` (E008-W015), :mod:`.headers` (E016-W024) and :mod:`.passwords` (E025-E030,
E034-W035, E041); they read list and number settings through :func:`as_list`, :func:`as_int` and
:func:`installed_middleware`.

A value ``harden()`` would have made secure but that settings.py sets itself (startproject writes
``DEBUG = True``, a ``django-insecure-`` key and 8-character validators) is reported with a hint
that says so: :func:`shadowing` names the line to delete, and :func:`secret_key_shadowing` the
environment variable that line hides.

Where Django's own deploy checks only warn, these are errors when an attacker gains something.
Django's ``security.*`` checks still run; these are additional. Each check reads its settings at
call time and never raises on an unusual value (a wrong type, a lazy object, a dotted path that
does not import): what it cannot judge it leaves to Django's own checks.

The checks do not overlap: one insecure setting yields one id. Checks that only make sense when a
feature is on (HSTS scope, the CSRF cookie, the session cookie, CSP sources) say nothing while it
is off, because the check for "off" already reports it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from django_apisec.checks.registry import deploy_check, emit, error, warning
from django_apisec.conf import apisec_settings
from django_apisec.hardening.apply import PROJECT, SECRET_KEY_ENV

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E001 = error(
    "apisec.E001",
    "DEBUG is True in a deployment: tracebacks, settings and SQL are shown to anyone.",
    "{shadowing}Set DEBUG = False (harden(profile='production') does unless the project sets it).",
)
E002 = error(
    "apisec.E002",
    "SECRET_KEY is weak: {reason}. Sessions, password reset tokens and signed data can be forged.",
    "{shadowing}Set DJANGO_SECRET_KEY to a random value of at least 50 characters, e.g. "
    'python -c "import secrets; print(secrets.token_urlsafe(64))".',
)
E003 = error(
    "apisec.E003",
    "ALLOWED_HOSTS contains '*': any Host header is accepted (host header poisoning of "
    "password reset links and caches).",
    "List the exact host names the API is served on, e.g. ALLOWED_HOSTS = ['api.example.com'].",
)
E042 = error(
    "apisec.E042",
    "ALLOWED_HOSTS is empty in the production profile: with DEBUG off, Django answers every "
    "request with 400 Bad Request.",
    "List the host names the API is served on, e.g. ALLOWED_HOSTS = ['api.example.com'], or "
    "read them from the environment: os.environ['DJANGO_ALLOWED_HOSTS'].split(',').",
)

# --- Request size limits --------------------------------------------------------------------
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
LOOPBACK_HOSTS = {"localhost", "::1"}


def shadowing(name: str, written: str) -> str:
    """The hint's opening when settings.py sets ``name`` itself, else ``""``.

    ``harden()`` records the project's own values as ``project`` in ``APISEC_HARDENING_REPORT``
    and never replaces them; ``written`` says what startproject puts there.
    """
    if apisec_settings.HARDENING_REPORT.get(name) != PROJECT:
        return ""
    return (
        f"settings.py sets {name} itself ({written}), and harden() never replaces a project's "
        "own value: delete it from settings.py. "
    )


def secret_key_shadowing(value: Any) -> str:
    """The E002 hint's opening when a SECRET_KEY in settings.py hides ``DJANGO_SECRET_KEY``."""
    environment = os.environ.get(SECRET_KEY_ENV)
    written = "startproject writes SECRET_KEY = 'django-insecure-...'"
    if environment and environment == value:
        return ""  # settings.py reads the variable: the variable's value itself is weak
    if environment:
        return (
            f"{SECRET_KEY_ENV} is set but ignored: settings.py sets SECRET_KEY itself "
            f"({written}), and harden() never replaces a project's own value. Delete that line "
            "from settings.py. "
        )
    return shadowing("SECRET_KEY", written)


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


def as_list(value: Any) -> list[Any]:
    """A list-like setting as a list; a lone string as one entry; anything else as empty."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return []


def installed_middleware() -> list[Any]:
    """The MIDDLEWARE setting as a list (see :func:`as_list`)."""
    return as_list(getattr(settings, "MIDDLEWARE", []))


def as_int(value: Any) -> int | None:
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
    if getattr(settings, "DEBUG", False) is not True:
        return []
    return [emit(E001, shadowing=shadowing("DEBUG", "startproject writes DEBUG = True"))]


@deploy_check
def check_secret_key(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E002: SECRET_KEY must be long and random."""
    try:
        value = getattr(settings, "SECRET_KEY", "")
    except ImproperlyConfigured:  # Django refuses to hand out an empty SECRET_KEY
        value = ""
    reason = secret_weakness(value)
    if not reason:
        return []
    return [emit(E002, reason=reason, shadowing=secret_key_shadowing(value))]


@deploy_check
def check_allowed_hosts(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E003, E042: ALLOWED_HOSTS must not accept every host, nor none in production."""
    hosts = as_list(getattr(settings, "ALLOWED_HOSTS", []))
    if "*" in hosts:
        return [E003]
    # [""] is what os.environ.get("HOSTS", "").split(",") gives: as empty as [].
    if not any(hosts) and apisec_settings.PROFILE == "production":
        return [E042]
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
    for index, key in enumerate(as_list(value)):
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
    for origin in as_list(getattr(settings, "CSRF_TRUSTED_ORIGINS", [])):
        if not isinstance(origin, str):
            continue
        scope = _wildcard_scope(origin)
        if scope:
            messages.append(emit(E040, origin=origin, scope=scope))
        elif origin.lower().startswith("http://") and not _is_loopback(_origin_host(origin)):
            messages.append(emit(W039, origin=origin))
    return messages
