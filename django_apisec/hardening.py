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
from collections.abc import Mapping, MutableMapping
from datetime import timedelta
from typing import Any

import django
from django.core.exceptions import ImproperlyConfigured

from django_apisec.conf import PROFILES

ONE_YEAR = 365 * 24 * 3600
SECRET_KEY_ENV = "DJANGO_SECRET_KEY"
JWT_SIGNING_KEY_ENV = "APISEC_JWT_SIGNING_KEY"
PROFILE_ENV = "APISEC_PROFILE"

# Sources recorded in APISEC_HARDENING_REPORT.
PROJECT = "project"
PROFILE = "profile"
ENVIRONMENT = "environment"
MERGED = "merged"

SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"
CORS_MIDDLEWARE = "corsheaders.middleware.CorsMiddleware"
CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
XFRAME_MIDDLEWARE = "django.middleware.clickjacking.XFrameOptionsMiddleware"
DJANGO_CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"
APISEC_CSP_MIDDLEWARE = "django_apisec.middleware.ContentSecurityPolicyMiddleware"

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
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
]
MIN_PASSWORD_LENGTH = 12


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
    variable, and defaults to ``"production"``. Values the project set itself are never replaced.

    Raises :class:`~django.core.exceptions.ImproperlyConfigured` in production when
    ``SECRET_KEY`` or the JWT signing key is missing, naming the environment variable to set.
    """
    env = os.environ if environ is None else environ
    chosen = profile or namespace.get("APISEC_PROFILE") or env.get(PROFILE_ENV) or "production"
    if chosen not in PROFILES:
        raise ImproperlyConfigured(
            f"APISEC_PROFILE must be one of {', '.join(PROFILES)}, not {chosen!r}."
        )
    production = chosen == "production"
    report: dict[str, str] = {}

    def fill(name: str, value: Any) -> None:
        if name in namespace:
            report[name] = PROJECT
        else:
            namespace[name] = value
            report[name] = PROFILE

    namespace["APISEC_PROFILE"] = chosen
    _resolve_secret_key(namespace, env, production, report)
    for name, value in _scalar_defaults(namespace, production).items():
        fill(name, value)
    _merge_dict(namespace, "REST_FRAMEWORK", _rest_framework_defaults(namespace, production), report)
    signing_key = _resolve_jwt_signing_key(namespace, env, production, report)
    _merge_dict(namespace, "SIMPLE_JWT", _simple_jwt_defaults(signing_key), report)
    _ensure_apps(namespace, report)
    _order_middleware(namespace, report)
    namespace["APISEC_HARDENING_REPORT"] = report


def _resolve_secret_key(
    namespace: MutableMapping[str, Any],
    env: Mapping[str, str],
    production: bool,  # noqa: FBT001
    report: dict[str, str],
) -> None:
    if namespace.get("SECRET_KEY"):
        report["SECRET_KEY"] = PROJECT
    elif env.get(SECRET_KEY_ENV):
        namespace["SECRET_KEY"] = env[SECRET_KEY_ENV]
        report["SECRET_KEY"] = ENVIRONMENT
    elif production:
        raise ImproperlyConfigured(
            f"SECRET_KEY is not set. Set the {SECRET_KEY_ENV} environment variable to a random "
            "value of at least 50 characters, e.g. "
            '`python -c "import secrets; print(secrets.token_urlsafe(64))"`.'
        )
    else:
        # Development only: a throwaway key, valid for this process.
        namespace["SECRET_KEY"] = secrets.token_urlsafe(64)
        report["SECRET_KEY"] = PROFILE


def _resolve_jwt_signing_key(
    namespace: MutableMapping[str, Any],
    env: Mapping[str, str],
    production: bool,  # noqa: FBT001
    report: dict[str, str],
) -> str | None:
    project_jwt = namespace.get("SIMPLE_JWT") or {}
    if project_jwt.get("SIGNING_KEY"):
        return None  # the project's own key is kept by the merge
    if env.get(JWT_SIGNING_KEY_ENV):
        report["SIMPLE_JWT.SIGNING_KEY"] = ENVIRONMENT
        return env[JWT_SIGNING_KEY_ENV]
    if production:
        raise ImproperlyConfigured(
            f"The JWT signing key is not set. Set the {JWT_SIGNING_KEY_ENV} environment variable "
            "to a random value of at least 64 characters, distinct from DJANGO_SECRET_KEY."
        )
    # Development only: derived from SECRET_KEY, so stable across reloads yet never equal to it.
    report["SIMPLE_JWT.SIGNING_KEY"] = PROFILE
    return hmac.new(
        str(namespace["SECRET_KEY"]).encode(), b"django_apisec.jwt-signing-key", hashlib.sha256
    ).hexdigest()


def _cookie_name(namespace: Mapping[str, Any], prefix: str, base: str, production: bool) -> str:  # noqa: FBT001
    if not production:
        return f"apisec_{base}"
    # __Host- demands Secure, Path=/ and no Domain; fall back to __Secure- when those are taken.
    if namespace.get(f"{prefix}_DOMAIN") or namespace.get(f"{prefix}_PATH", "/") != "/":
        return f"__Secure-{base}"
    return f"__Host-{base}"


def _scalar_defaults(namespace: Mapping[str, Any], production: bool) -> dict[str, Any]:  # noqa: FBT001
    defaults: dict[str, Any] = {
        "DEBUG": not production,
        "SECURE_SSL_REDIRECT": production,
        "SECURE_HSTS_SECONDS": ONE_YEAR if production else 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": production,
        "SECURE_HSTS_PRELOAD": production,
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
        "AUTH_PASSWORD_VALIDATORS": [
            {
                "NAME": "django.contrib.auth.password_validation."
                "UserAttributeSimilarityValidator"
            },
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
        "DEBUG_PROPAGATE_EXCEPTIONS": False,
        "USE_X_FORWARDED_HOST": False,
        "APISEC_TRUSTED_PROXIES": [],
        "CORS_ALLOWED_ORIGINS": [],
        "CORS_ALLOWED_ORIGIN_REGEXES": [],
        "CORS_ALLOW_ALL_ORIGINS": False,
        "CORS_ALLOW_CREDENTIALS": False,
    }
    if not production:
        defaults["ALLOWED_HOSTS"] = ["localhost", "127.0.0.1", "[::1]"]
    if namespace.get("APISEC_TRUSTED_PROXIES"):
        # Only a trusted proxy may tell us the original scheme.
        defaults["SECURE_PROXY_SSL_HEADER"] = ("HTTP_X_FORWARDED_PROTO", "https")
    return defaults


def _rest_framework_defaults(namespace: Mapping[str, Any], production: bool) -> dict[str, Any]:  # noqa: FBT001
    renderers = ["rest_framework.renderers.JSONRenderer"]
    if not production:
        renderers.append("rest_framework.renderers.BrowsableAPIRenderer")
    defaults: dict[str, Any] = {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "rest_framework_simplejwt.authentication.JWTAuthentication"
        ],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_THROTTLE_CLASSES": [
            "rest_framework.throttling.AnonRateThrottle",
            "rest_framework.throttling.UserRateThrottle",
        ],
        "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min"},
        # DRF's default (None) believes any X-Forwarded-For a client sends.
        "NUM_PROXIES": 1 if namespace.get("APISEC_TRUSTED_PROXIES") else 0,
        "DEFAULT_RENDERER_CLASSES": renderers,
        "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
        "DEFAULT_PAGINATION_CLASS": "django_apisec.pagination.BoundedPageNumberPagination",
        "PAGE_SIZE": 50,
        "EXCEPTION_HANDLER": "django_apisec.exceptions.exception_handler",
        "TEST_REQUEST_DEFAULT_FORMAT": "json",
    }
    if "drf_spectacular" in namespace.get("INSTALLED_APPS", ()):
        defaults["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
    return defaults


def _simple_jwt_defaults(signing_key: str | None) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
        "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
        "ROTATE_REFRESH_TOKENS": True,
        "BLACKLIST_AFTER_ROTATION": True,
        "UPDATE_LAST_LOGIN": False,
        "ALGORITHM": "HS256",
        "AUTH_HEADER_TYPES": ("Bearer",),
        "LEEWAY": 0,
        # Access tokens carry a hash of the password hash: a password change revokes them.
        "CHECK_REVOKE_TOKEN": True,
        "CHECK_USER_IS_ACTIVE": True,
    }
    if signing_key is not None:
        defaults["SIGNING_KEY"] = signing_key
    return defaults


def _merge_dict(
    namespace: MutableMapping[str, Any],
    name: str,
    defaults: Mapping[str, Any],
    report: dict[str, str],
) -> None:
    project = dict(namespace.get(name) or {})
    for key, value in defaults.items():
        qualified = f"{name}.{key}"
        if key in project:
            report[qualified] = PROJECT
        else:
            project[key] = value
            report.setdefault(qualified, PROFILE)
    namespace[name] = project


def _ensure_apps(namespace: MutableMapping[str, Any], report: dict[str, str]) -> None:
    apps = list(namespace.get("INSTALLED_APPS", ()))
    required = ["django_apisec", "rest_framework", "corsheaders"]
    jwt = namespace["SIMPLE_JWT"]
    if jwt.get("ROTATE_REFRESH_TOKENS") and jwt.get("BLACKLIST_AFTER_ROTATION"):
        required.append("rest_framework_simplejwt.token_blacklist")
    missing = [app for app in required if app not in apps]
    namespace["INSTALLED_APPS"] = apps + missing
    report["INSTALLED_APPS"] = MERGED if missing else PROJECT


def _order_middleware(namespace: MutableMapping[str, Any], report: dict[str, str]) -> None:
    project_set = "MIDDLEWARE" in namespace
    original = list(namespace.get("MIDDLEWARE", DEFAULT_MIDDLEWARE))
    head = [SECURITY_MIDDLEWARE, CORS_MIDDLEWARE, csp_middleware()]
    rest = [entry for entry in original if entry not in head]
    if CSRF_MIDDLEWARE not in rest:
        at = rest.index(AUTH_MIDDLEWARE) if AUTH_MIDDLEWARE in rest else len(rest)
        rest.insert(at, CSRF_MIDDLEWARE)
    if XFRAME_MIDDLEWARE not in rest:
        rest.append(XFRAME_MIDDLEWARE)
    ordered = head + rest
    namespace["MIDDLEWARE"] = ordered
    if not project_set or ordered != original:
        report["MIDDLEWARE"] = MERGED
    else:
        report["MIDDLEWARE"] = PROJECT
