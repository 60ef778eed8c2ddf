"""The development and production profiles: what ``harden()`` governs and the defaults it fills.

``GOVERNED_SETTINGS`` is the one list of settings :func:`~django_apisec.hardening.harden`
governs and ``manage.py apisec_settings`` shows; the functions below give each profile's default for
them. Some defaults depend on what the project already set (cookie names follow its cookie
attributes, ``NUM_PROXIES`` and ``SECURE_PROXY_SSL_HEADER`` its trusted proxies), so they read the
namespace being hardened; none of them writes to it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django_apisec import dotted_paths
from django_apisec.conf import parse_trusted_proxies
from django_apisec.http.cookies import cookie_name
from django_apisec.observability.formatting import default_logging

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

ONE_YEAR = 365 * 24 * 3600

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
    "SIMPLE_JWT.AUTH_HEADER_TYPES",
    "SIMPLE_JWT.LEEWAY",
)

# Governed settings whose values are never displayed (``manage.py apisec_settings`` masks them).
SECRET_SETTINGS = frozenset(
    {"SECRET_KEY", "SECRET_KEY_FALLBACKS", "SIMPLE_JWT.SIGNING_KEY", "SIMPLE_JWT.VERIFYING_KEY"}
)

PASSWORD_HASHERS = [
    # Django's Argon2 with OWASP's parameters (19 MiB per hash instead of 100 MiB): it also
    # verifies, and upgrades at the next login, argon2 hashes made with any other parameters.
    # Django's own Argon2PasswordHasher must not follow it: the last hasher of an algorithm
    # verifies that algorithm's hashes.
    dotted_paths.ARGON2ID_HASHER,
    # Fallbacks only verify (and then upgrade) hashes created before Argon2 was first.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
MIN_PASSWORD_LENGTH = 12


def _cookie_name(namespace: Mapping[str, Any], prefix: str, base: str, production: bool) -> str:
    """A non-default cookie name, with the strongest prefix the cookie's attributes allow."""
    # Browsers drop __Host-/__Secure- cookies that are not Secure: a project that turns Secure
    # off (or the development profile) gets an unprefixed name rather than a broken login.
    if not namespace.get(f"{prefix}_SECURE", production):
        return f"apisec_{base}"
    # __Host- demands Secure, Path=/ and no Domain; fall back to __Secure- when those are taken.
    host_only = (
        not namespace.get(f"{prefix}_DOMAIN") and namespace.get(f"{prefix}_PATH", "/") == "/"
    )
    return cookie_name(base, secure=True, host_only=host_only)


def scalar_defaults(namespace: Mapping[str, Any], production: bool) -> dict[str, Any]:
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
        "AUTHENTICATION_BACKENDS": [dotted_paths.LOCKOUT_BACKEND],
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
        "CORS_ALLOW_CREDENTIALS": _cors_credentials(namespace),
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


def _cors_credentials(namespace: Mapping[str, Any]) -> bool:
    """Credentials for an explicit CORS allowlist, never for allow-all (apisec.E301).

    The JWT session's refresh token travels in a cookie: a front end on a listed origin can log
    in, refresh and log out only when the CORS answers carry ``Allow-Credentials: true``. Listing
    the origins is the user's statement that those pages are trusted with the session.
    """
    if namespace.get("CORS_ALLOW_ALL_ORIGINS") or namespace.get("CORS_ORIGIN_ALLOW_ALL"):
        return False
    names = (
        "CORS_ALLOWED_ORIGINS",
        "CORS_ALLOWED_ORIGIN_REGEXES",
        "CORS_ORIGIN_WHITELIST",
        "CORS_ORIGIN_REGEX_WHITELIST",
    )
    return any(namespace.get(name) for name in names)


def _trusted_proxies(namespace: Mapping[str, Any]) -> list[str]:
    return parse_trusted_proxies(namespace.get("APISEC_TRUSTED_PROXIES"))


def rest_framework_defaults(namespace: Mapping[str, Any], production: bool) -> dict[str, Any]:
    """``REST_FRAMEWORK`` keys for the profile."""
    renderers = ["rest_framework.renderers.JSONRenderer"]
    if not production:
        renderers.append(dotted_paths.BROWSABLE_API_RENDERER)
    defaults: dict[str, Any] = {
        "DEFAULT_AUTHENTICATION_CLASSES": [dotted_paths.SESSION_AUTHENTICATION],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_THROTTLE_CLASSES": [
            dotted_paths.ANON_RATE_THROTTLE,
            dotted_paths.USER_RATE_THROTTLE,
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
        "DEFAULT_PARSER_CLASSES": [dotted_paths.JSON_PARSER],
        "DEFAULT_PAGINATION_CLASS": dotted_paths.BOUNDED_PAGINATION,
        "PAGE_SIZE": 50,
        "EXCEPTION_HANDLER": dotted_paths.EXCEPTION_HANDLER,
        "TEST_REQUEST_DEFAULT_FORMAT": "json",
    }
    if has_app(namespace.get("INSTALLED_APPS") or (), "drf_spectacular"):
        defaults["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
    return defaults


def simple_jwt_defaults() -> dict[str, Any]:
    """``SIMPLE_JWT`` keys our token families read (the signing key is resolved separately).

    Only keys :mod:`django_apisec.jwt.tokens` and :mod:`django_apisec.jwt.authentication` read: the
    session layer replaces simplejwt's rotation, blacklist and revocation, so
    ``ROTATE_REFRESH_TOKENS``, ``BLACKLIST_AFTER_ROTATION``, ``CHECK_REVOKE_TOKEN`` and the like
    are left to a project that mounts simplejwt's own views (docs/jwt.rst, "One JWT stack").
    """
    return {
        "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
        # The idle lifetime of a session: each refresh extends it, up to
        # APISEC_JWT_SESSION_MAX_AGE.
        "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
        "ALGORITHM": "HS256",
        # Set and verified on every token by django_apisec.jwt.tokens; name your deployment here.
        "ISSUER": "django_apisec",
        "AUDIENCE": "django_apisec",
        "AUTH_HEADER_TYPES": ("Bearer",),
        "LEEWAY": 0,
    }


def has_app(apps: Iterable[Any], app: str) -> bool:
    """Whether ``app`` is installed, by module name or through one of its AppConfig paths."""
    return any(entry == app or str(entry).startswith(f"{app}.apps.") for entry in apps)
