"""``harden()``: the one call at the end of ``settings.py``.

It fills every security setting the project did not set with a strong default for the chosen
profile, merges ``REST_FRAMEWORK``, ``SIMPLE_JWT`` and the CORS settings key by key (the project's
keys win), orders the middleware, and refuses to start in production without the secrets.

It writes only into the namespace it is given (the settings module's ``globals()``), never into
``django.conf.settings``, and records where each value came from in
``APISEC_HARDENING_REPORT`` for ``manage.py apisec_settings``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import timedelta
from typing import Any

import django
from django.core.exceptions import ImproperlyConfigured

from django_apisec.conf import PROFILES, parse_trusted_proxies
from django_apisec.security_log import default_logging

ONE_YEAR = 365 * 24 * 3600
SECRET_KEY_ENV = "DJANGO_SECRET_KEY"  # noqa: S105 (a variable name, not a secret)
JWT_SIGNING_KEY_ENV = "APISEC_JWT_SIGNING_KEY"
PROFILE_ENV = "APISEC_PROFILE"

# Sources recorded in APISEC_HARDENING_REPORT.
PROJECT = "project"  # set in settings.py (or passed to harden()); never replaced
PROFILE = "profile"  # filled with the profile's default
ENVIRONMENT = "environment"  # read from an environment variable
MERGED = "merged"  # the project's value, completed or reordered by harden()

# Settings harden() merges key by key; their keys are governed as "REST_FRAMEWORK.KEY".
MERGED_DICTS = ("REST_FRAMEWORK", "SIMPLE_JWT")
# Keys whose own dict value is merged one level deeper (the project's entries win).
NESTED_MERGES = frozenset({"REST_FRAMEWORK.DEFAULT_THROTTLE_RATES"})

# Every setting harden() governs, in the order ``manage.py apisec_settings`` shows them. harden()
# fills exactly these (a default that is not listed here is never applied) and records each in
# APISEC_HARDENING_REPORT; a listed setting without a default for the profile (e.g.
# ALLOWED_HOSTS in production) is recorded only when the project sets it.
GOVERNED_SETTINGS: tuple[str, ...] = (
    "APISEC_PROFILE",
    "DEBUG",
    "DEBUG_PROPAGATE_EXCEPTIONS",
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "ALLOWED_HOSTS",
    "INSTALLED_APPS",
    "MIDDLEWARE",
    "LOGGING",
    # Transport and proxies.
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "APISEC_TRUSTED_PROXIES",
    "SECURE_PROXY_SSL_HEADER",
    "USE_X_FORWARDED_HOST",
    # Response headers.
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SECURE_CSP",
    "X_FRAME_OPTIONS",
    # Cookies.
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "LANGUAGE_COOKIE_SECURE",
    "LANGUAGE_COOKIE_HTTPONLY",
    "LANGUAGE_COOKIE_SAMESITE",
    # Passwords.
    "PASSWORD_HASHERS",
    "AUTH_PASSWORD_VALIDATORS",
    "AUTHENTICATION_BACKENDS",
    # Request size.
    "DATA_UPLOAD_MAX_MEMORY_SIZE",
    "DATA_UPLOAD_MAX_NUMBER_FIELDS",
    "DATA_UPLOAD_MAX_NUMBER_FILES",
    "FILE_UPLOAD_MAX_MEMORY_SIZE",
    "FILE_UPLOAD_PERMISSIONS",
    # CORS (django-cors-headers).
    "CORS_ALLOWED_ORIGINS",
    "CORS_ALLOWED_ORIGIN_REGEXES",
    "CORS_ALLOW_ALL_ORIGINS",
    "CORS_ALLOW_CREDENTIALS",
    # Django REST Framework.
    "REST_FRAMEWORK.DEFAULT_AUTHENTICATION_CLASSES",
    "REST_FRAMEWORK.DEFAULT_PERMISSION_CLASSES",
    "REST_FRAMEWORK.DEFAULT_THROTTLE_CLASSES",
    "REST_FRAMEWORK.DEFAULT_THROTTLE_RATES",
    "REST_FRAMEWORK.NUM_PROXIES",
    "REST_FRAMEWORK.DEFAULT_RENDERER_CLASSES",
    "REST_FRAMEWORK.DEFAULT_PARSER_CLASSES",
    "REST_FRAMEWORK.DEFAULT_PAGINATION_CLASS",
    "REST_FRAMEWORK.PAGE_SIZE",
    "REST_FRAMEWORK.EXCEPTION_HANDLER",
    "REST_FRAMEWORK.DEFAULT_SCHEMA_CLASS",
    "REST_FRAMEWORK.TEST_REQUEST_DEFAULT_FORMAT",
    # simplejwt.
    "SIMPLE_JWT.SIGNING_KEY",
    "SIMPLE_JWT.VERIFYING_KEY",
    "SIMPLE_JWT.ALGORITHM",
    "SIMPLE_JWT.ISSUER",
    "SIMPLE_JWT.AUDIENCE",
    "SIMPLE_JWT.ACCESS_TOKEN_LIFETIME",
    "SIMPLE_JWT.REFRESH_TOKEN_LIFETIME",
    "SIMPLE_JWT.ROTATE_REFRESH_TOKENS",
    "SIMPLE_JWT.BLACKLIST_AFTER_ROTATION",
    "SIMPLE_JWT.UPDATE_LAST_LOGIN",
    "SIMPLE_JWT.AUTH_HEADER_TYPES",
    "SIMPLE_JWT.LEEWAY",
    "SIMPLE_JWT.CHECK_REVOKE_TOKEN",
    "SIMPLE_JWT.CHECK_USER_IS_ACTIVE",
)

# Governed settings whose values are never displayed (``manage.py apisec_settings`` masks them).
SECRET_SETTINGS = frozenset(
    {"SECRET_KEY", "SECRET_KEY_FALLBACKS", "SIMPLE_JWT.SIGNING_KEY", "SIMPLE_JWT.VERIFYING_KEY"}
)

SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"
CORS_MIDDLEWARE = "corsheaders.middleware.CorsMiddleware"
CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
XFRAME_MIDDLEWARE = "django.middleware.clickjacking.XFrameOptionsMiddleware"
DJANGO_CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"
APISEC_CSP_MIDDLEWARE = "django_apisec.middleware.ContentSecurityPolicyMiddleware"
API_SECURITY_MIDDLEWARE = "django_apisec.api_middleware.ApiSecurityMiddleware"

# startproject's stack, used when the project defines no MIDDLEWARE at all.
DEFAULT_MIDDLEWARE = [
    SECURITY_MIDDLEWARE,
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    CSRF_MIDDLEWARE,
    AUTH_MIDDLEWARE,
    "django.contrib.messages.middleware.MessageMiddleware",
    XFRAME_MIDDLEWARE,
]

ARGON2_HASHER = "django.contrib.auth.hashers.Argon2PasswordHasher"
PASSWORD_HASHERS = [
    ARGON2_HASHER,
    # Fallbacks only verify (and then upgrade) hashes created before Argon2 was first.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
MIN_PASSWORD_LENGTH = 12
LOCKOUT_BACKEND = "django_apisec.backends.LockoutModelBackend"


def django_has_builtin_csp() -> bool:
    """Whether this Django ships ``SECURE_CSP`` and its middleware (6.0 and later)."""
    return django.VERSION >= (6, 0)


def csp_middleware() -> str:
    """The CSP middleware for this Django: Django's own where it exists, ours on 5.2."""
    return DJANGO_CSP_MIDDLEWARE if django_has_builtin_csp() else APISEC_CSP_MIDDLEWARE


def harden(
    namespace: MutableMapping[str, Any],
    *,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Harden the settings in ``namespace`` (pass ``globals()`` at the end of ``settings.py``).

    ``profile`` is ``"development"`` (localhost over http) or ``"production"``; when omitted it
    is read from ``APISEC_PROFILE`` in the settings, then from the ``APISEC_PROFILE`` environment
    variable, and defaults to ``"production"``. Values the project set itself are never replaced;
    ``REST_FRAMEWORK`` and ``SIMPLE_JWT`` are merged key by key. ``environ`` replaces
    ``os.environ`` (for tests).

    Raises :class:`~django.core.exceptions.ImproperlyConfigured` for an unknown profile, and in
    production when ``SECRET_KEY`` or the JWT signing key is missing, naming the environment
    variable to set.
    """
    env = os.environ if environ is None else environ
    chosen, profile_source = _resolve_profile(namespace, profile, env)
    production = chosen == "production"
    namespace["APISEC_PROFILE"] = chosen
    report: dict[str, str] = {"APISEC_PROFILE": profile_source}
    for container in MERGED_DICTS:
        namespace[container] = _project_dict(namespace, container)

    # The secrets first: the development JWT key is derived from the final SECRET_KEY.
    _fill(namespace, "SECRET_KEY", *_resolve_secret_key(namespace, env, production), report)
    signing_key = _resolve_jwt_signing_key(namespace, env, production)
    _fill(namespace, "SIMPLE_JWT.SIGNING_KEY", *signing_key, report)

    defaults = _qualified("", _scalar_defaults(namespace, production))
    defaults.update(_qualified("REST_FRAMEWORK", _rest_framework_defaults(namespace, production)))
    defaults.update(_qualified("SIMPLE_JWT", _simple_jwt_defaults()))
    for name in GOVERNED_SETTINGS:
        if name in report:
            continue
        if name in defaults:
            _fill(namespace, name, *defaults[name], report)
        elif _is_set(namespace, name):
            report[name] = PROJECT
    _ensure_apps(namespace, report)
    _order_middleware(namespace, report)
    namespace["APISEC_HARDENING_REPORT"] = report


def _resolve_profile(
    namespace: Mapping[str, Any], argument: str | None, env: Mapping[str, str]
) -> tuple[str, str]:
    """The profile and where it came from: argument > settings > environment > production."""
    if argument:
        chosen, source = argument, PROJECT
    elif namespace.get("APISEC_PROFILE"):
        chosen, source = namespace["APISEC_PROFILE"], PROJECT
    elif env.get(PROFILE_ENV):
        chosen, source = env[PROFILE_ENV], ENVIRONMENT
    else:
        chosen, source = "production", PROFILE
    if chosen not in PROFILES:
        raise ImproperlyConfigured(
            f"APISEC_PROFILE must be one of {', '.join(PROFILES)}, not {chosen!r}."
        )
    return str(chosen), source


def _project_dict(namespace: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A copy of the project's ``REST_FRAMEWORK`` / ``SIMPLE_JWT``, so merging never mutates it."""
    value = namespace.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured(f"{name} must be a dict, not {type(value).__name__}.")
    return dict(value)


def _qualified(container: str, defaults: Mapping[str, Any]) -> dict[str, tuple[Any, str]]:
    """Profile defaults keyed by governed name (``REST_FRAMEWORK.X`` inside a container)."""
    prefix = f"{container}." if container else ""
    return {f"{prefix}{key}": (value, PROFILE) for key, value in defaults.items()}


def _target(namespace: MutableMapping[str, Any], name: str) -> tuple[MutableMapping[str, Any], str]:
    """The mapping that holds ``name`` and the key inside it (``REST_FRAMEWORK.X`` -> X)."""
    container, _, key = name.partition(".")
    if key:
        return namespace[container], key
    return namespace, name


def _is_set(namespace: MutableMapping[str, Any], name: str) -> bool:
    target, key = _target(namespace, name)
    return key in target


def _fill(
    namespace: MutableMapping[str, Any],
    name: str,
    value: Any,
    source: str,
    report: dict[str, str],
) -> None:
    """Set ``name`` to ``value`` unless the project set it; record where the result came from."""
    target, key = _target(namespace, name)
    if key not in target:
        target[key] = value
        report[name] = source
    elif name in NESTED_MERGES and isinstance(target[key], Mapping):
        # A project that sets some throttle rates must not lose the rates our throttle classes
        # need: DRF raises ImproperlyConfigured at request time for a scope without a rate.
        added = {k: v for k, v in value.items() if k not in target[key]}
        target[key] = {**added, **target[key]}
        report[name] = MERGED if added else PROJECT
    else:
        report[name] = PROJECT


def _resolve_secret_key(
    namespace: MutableMapping[str, Any],
    env: Mapping[str, str],
    production: bool,
) -> tuple[str, str]:
    """The ``SECRET_KEY`` to use when the project has none, and its source."""
    if namespace.get("SECRET_KEY"):
        return namespace["SECRET_KEY"], PROJECT
    # An empty key is as good as none: Django refuses to start with it.
    namespace.pop("SECRET_KEY", None)
    if env.get(SECRET_KEY_ENV):
        return env[SECRET_KEY_ENV], ENVIRONMENT
    if production:
        raise ImproperlyConfigured(
            f"SECRET_KEY is not set. Set the {SECRET_KEY_ENV} environment variable to a random "
            "value of at least 50 characters, e.g. "
            '`python -c "import secrets; print(secrets.token_urlsafe(64))"`.'
        )
    # Development only: a throwaway key, valid for this process.
    return secrets.token_urlsafe(64), PROFILE


def _resolve_jwt_signing_key(
    namespace: MutableMapping[str, Any],
    env: Mapping[str, str],
    production: bool,
) -> tuple[str, str]:
    """The JWT signing key to use when ``SIMPLE_JWT`` has none, and its source."""
    jwt = namespace["SIMPLE_JWT"]
    if jwt.get("SIGNING_KEY"):
        return jwt["SIGNING_KEY"], PROJECT
    # An empty key is as good as none.
    jwt.pop("SIGNING_KEY", None)
    if env.get(JWT_SIGNING_KEY_ENV):
        return env[JWT_SIGNING_KEY_ENV], ENVIRONMENT
    if production:
        raise ImproperlyConfigured(
            f"The JWT signing key is not set. Set the {JWT_SIGNING_KEY_ENV} environment variable "
            f"to a random value of at least 64 characters, distinct from {SECRET_KEY_ENV}."
        )
    return development_jwt_signing_key(namespace.get("SECRET_KEY") or ""), PROFILE


def development_jwt_signing_key(secret_key: str | bytes) -> str:
    """The development JWT signing key: derived from ``SECRET_KEY``, never equal to it.

    Stable for one ``SECRET_KEY`` (tokens survive a reload of the development server), useless
    for forging session data, and never used in production, which requires its own key.
    """
    key = secret_key if isinstance(secret_key, bytes) else str(secret_key).encode()
    return hmac.new(key, b"django_apisec.jwt-signing-key", hashlib.sha256).hexdigest()


def _cookie_name(namespace: Mapping[str, Any], prefix: str, base: str, production: bool) -> str:
    """A non-default cookie name, with the strongest prefix the cookie's attributes allow."""
    # Browsers drop __Host-/__Secure- cookies that are not Secure: a project that turns Secure
    # off (or the development profile) gets an unprefixed name rather than a broken login.
    if not namespace.get(f"{prefix}_SECURE", production):
        return f"apisec_{base}"
    # __Host- demands Secure, Path=/ and no Domain; fall back to __Secure- when those are taken.
    if namespace.get(f"{prefix}_DOMAIN") or namespace.get(f"{prefix}_PATH", "/") != "/":
        return f"__Secure-{base}"
    return f"__Host-{base}"


def _scalar_defaults(namespace: Mapping[str, Any], production: bool) -> dict[str, Any]:
    """Top-level settings for the profile (the cookie names depend on the project's cookies)."""
    defaults: dict[str, Any] = {
        "DEBUG": not production,
        "DEBUG_PROPAGATE_EXCEPTIONS": False,
        # Only for a project without LOGGING: security events, Django's security warnings and
        # server errors as redacted JSON lines on stderr. A project's own LOGGING is never
        # touched (docs/security-events.rst shows how to add the filters to it).
        "LOGGING": default_logging(),
        "SECRET_KEY_FALLBACKS": [],
        "SECURE_SSL_REDIRECT": production,
        "SECURE_HSTS_SECONDS": ONE_YEAR if production else 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": production,
        "SECURE_HSTS_PRELOAD": production,
        "APISEC_TRUSTED_PROXIES": [],
        "USE_X_FORWARDED_HOST": False,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        # no-referrer would make browsers send "Origin: null" on form posts, failing the
        # admin's CSRF origin check; API responses get no-referrer from the API middleware.
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "SECURE_CSP": {
            "default-src": ["'self'"],
            "base-uri": ["'none'"],
            "object-src": ["'none'"],
            "frame-ancestors": ["'none'"],
            "form-action": ["'self'"],
        },
        "X_FRAME_OPTIONS": "DENY",
        "SESSION_COOKIE_NAME": _cookie_name(namespace, "SESSION_COOKIE", "sessionid", production),
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_NAME": _cookie_name(namespace, "CSRF_COOKIE", "csrftoken", production),
        "CSRF_COOKIE_SECURE": production,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Strict",
        "LANGUAGE_COOKIE_SECURE": production,
        "LANGUAGE_COOKIE_HTTPONLY": True,
        "LANGUAGE_COOKIE_SAMESITE": "Lax",
        "PASSWORD_HASHERS": list(PASSWORD_HASHERS),
        # ModelBackend behind the lockout: every authenticate() (admin, login views) reserves
        # the attempt before the password hash is computed.
        "AUTHENTICATION_BACKENDS": [LOCKOUT_BACKEND],
        "AUTH_PASSWORD_VALIDATORS": [
            {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
            {
                "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
                "OPTIONS": {"min_length": MIN_PASSWORD_LENGTH},
            },
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
            {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        ],
        "DATA_UPLOAD_MAX_MEMORY_SIZE": 1024 * 1024,
        "DATA_UPLOAD_MAX_NUMBER_FIELDS": 200,
        "DATA_UPLOAD_MAX_NUMBER_FILES": 10,
        "FILE_UPLOAD_MAX_MEMORY_SIZE": 1024 * 1024,
        "FILE_UPLOAD_PERMISSIONS": 0o640,
        "CORS_ALLOWED_ORIGINS": [],
        "CORS_ALLOWED_ORIGIN_REGEXES": [],
        "CORS_ALLOW_ALL_ORIGINS": False,
        "CORS_ALLOW_CREDENTIALS": False,
    }
    if not production:
        # Production has no default: Django's empty ALLOWED_HOSTS refuses every request
        # until the project lists its host names.
        defaults["ALLOWED_HOSTS"] = ["localhost", "127.0.0.1", "[::1]"]
    if _trusted_proxies(namespace):
        # Only a trusted proxy may tell us the original scheme; without one, a client could
        # claim https and defeat the SSL redirect and Secure-cookie logic.
        defaults["SECURE_PROXY_SSL_HEADER"] = ("HTTP_X_FORWARDED_PROTO", "https")
    return defaults


def _trusted_proxies(namespace: Mapping[str, Any]) -> list[str]:
    return parse_trusted_proxies(namespace.get("APISEC_TRUSTED_PROXIES"))


def _rest_framework_defaults(namespace: Mapping[str, Any], production: bool) -> dict[str, Any]:
    """``REST_FRAMEWORK`` keys for the profile."""
    renderers = ["rest_framework.renderers.JSONRenderer"]
    if not production:
        renderers.append("rest_framework.renderers.BrowsableAPIRenderer")
    defaults: dict[str, Any] = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["django_apisec.authentication.JWTSessionAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_THROTTLE_CLASSES": [
            "django_apisec.throttling.AnonRateThrottle",
            "django_apisec.throttling.UserRateThrottle",
        ],
        # login_ip / login_account: failed logins, for the JWT login view's throttles.
        "DEFAULT_THROTTLE_RATES": {
            "anon": "60/min",
            "user": "600/min",
            "login_ip": "20/min",
            "login_account": "10/min",
        },
        # DRF's default (None) takes the whole client-sent X-Forwarded-For as the client's
        # identity, so a client picks a fresh throttle bucket per request. 0 uses REMOTE_ADDR;
        # behind trusted proxies, 1 takes the address the nearest proxy appended. NUM_PROXIES
        # counts hops, not CIDRs: a deployment with two proxy hops sets it to 2 itself.
        "NUM_PROXIES": 1 if _trusted_proxies(namespace) else 0,
        "DEFAULT_RENDERER_CLASSES": renderers,
        "DEFAULT_PARSER_CLASSES": ["django_apisec.parsers.JSONParser"],
        "DEFAULT_PAGINATION_CLASS": "django_apisec.pagination.BoundedPageNumberPagination",
        "PAGE_SIZE": 50,
        "EXCEPTION_HANDLER": "django_apisec.exceptions.exception_handler",
        "TEST_REQUEST_DEFAULT_FORMAT": "json",
    }
    if _has_app(namespace.get("INSTALLED_APPS") or (), "drf_spectacular"):
        defaults["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
    return defaults


def _simple_jwt_defaults() -> dict[str, Any]:
    """``SIMPLE_JWT`` keys (the signing key is resolved separately)."""
    return {
        "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
        "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
        "ROTATE_REFRESH_TOKENS": True,
        "BLACKLIST_AFTER_ROTATION": True,
        "UPDATE_LAST_LOGIN": False,
        "ALGORITHM": "HS256",
        # Set and verified on every token by django_apisec.tokens; name your deployment here.
        "ISSUER": "django_apisec",
        "AUDIENCE": "django_apisec",
        "AUTH_HEADER_TYPES": ("Bearer",),
        "LEEWAY": 0,
        # For simplejwt's own JWTAuthentication (a password change revokes its access tokens);
        # django_apisec's sessions revoke every family on a password change themselves.
        "CHECK_REVOKE_TOKEN": True,
        "CHECK_USER_IS_ACTIVE": True,
    }


def _has_app(apps: Iterable[Any], app: str) -> bool:
    """Whether ``app`` is installed, by module name or through one of its AppConfig paths."""
    return any(entry == app or str(entry).startswith(f"{app}.apps.") for entry in apps)


def _ensure_apps(namespace: MutableMapping[str, Any], report: dict[str, str]) -> None:
    """Add the apps the hardened settings rely on, after the project's own."""
    project_set = "INSTALLED_APPS" in namespace
    apps = list(namespace.get("INSTALLED_APPS") or ())
    required = ["django_apisec", "rest_framework", "corsheaders"]
    jwt = namespace["SIMPLE_JWT"]
    if jwt.get("ROTATE_REFRESH_TOKENS") and jwt.get("BLACKLIST_AFTER_ROTATION"):
        # Without the blacklist app simplejwt cannot refuse a rotated (old) refresh token.
        required.append("rest_framework_simplejwt.token_blacklist")
    missing = [app for app in required if not _has_app(apps, app)]
    namespace["INSTALLED_APPS"] = apps + missing
    if not project_set:
        report["INSTALLED_APPS"] = PROFILE
    else:
        report["INSTALLED_APPS"] = MERGED if missing else PROJECT


def _order_middleware(namespace: MutableMapping[str, Any], report: dict[str, str]) -> None:
    """Put the security middleware first and make sure CSRF and clickjacking protection run.

    SecurityMiddleware answers the https redirect; CorsMiddleware must run before anything that
    can answer a request (CommonMiddleware's redirects) so those answers carry CORS headers; the
    CSP middleware is the one this Django version has (a project upgraded from 5.2 keeps working).
    The API middleware comes right after it: its headers are set before the CSP middleware's
    (which never overwrites one), and it bounds the body before anything reads it.
    """
    project_set = "MIDDLEWARE" in namespace
    original = list(namespace.get("MIDDLEWARE") or ()) if project_set else list(DEFAULT_MIDDLEWARE)
    head = [SECURITY_MIDDLEWARE, CORS_MIDDLEWARE, csp_middleware(), API_SECURITY_MIDDLEWARE]
    replaced = {*head, DJANGO_CSP_MIDDLEWARE, APISEC_CSP_MIDDLEWARE}
    rest = [entry for entry in original if entry not in replaced]
    if CSRF_MIDDLEWARE not in rest:
        at = rest.index(AUTH_MIDDLEWARE) if AUTH_MIDDLEWARE in rest else len(rest)
        rest.insert(at, CSRF_MIDDLEWARE)
    if XFRAME_MIDDLEWARE not in rest:
        rest.append(XFRAME_MIDDLEWARE)
    ordered = head + rest
    namespace["MIDDLEWARE"] = ordered
    if not project_set:
        report["MIDDLEWARE"] = PROFILE
    else:
        report["MIDDLEWARE"] = PROJECT if ordered == original else MERGED
