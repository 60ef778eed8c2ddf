"""The deploy gate, end to end: the testproject's production settings, broken one way at a time.

Each row is one insecure change to the production settings. The test asserts that it adds exactly
one apisec id, and that ``check --deploy`` then fails (errors) or still passes (warnings). The
same rows render the table in ``docs/checks/breaking-table.rst``; a test keeps the two equal
(regenerate with ``APISEC_WRITE_DOCS=1 python -m pytest tests/test_deploy_gate.py``).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from tests.conftest import NOT_OVERRIDDEN, PRODUCTION_ENV, load_testproject_settings

PRODUCTION = load_testproject_settings(PRODUCTION_ENV)
DOCS = Path(__file__).resolve().parent.parent / "docs" / "checks" / "breaking-table.rst"


class WeakArgon2Hasher(Argon2PasswordHasher):
    """One pass over 19 MiB: below OWASP's table (19 MiB needs two passes)."""

    time_cost = 1
    memory_cost = 19456
    parallelism = 1


@dataclass(frozen=True)
class Row:
    """One insecure change: a label for the docs, the settings it changes, the id it must add."""

    change: str
    expected: str
    overrides: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    base: dict[str, Any] = field(default_factory=dict)
    base_env: dict[str, str] = field(default_factory=dict)


def rf(**changes: Any) -> dict[str, Any]:
    """``REST_FRAMEWORK`` of production with ``changes``."""
    return {"REST_FRAMEWORK": {**PRODUCTION["REST_FRAMEWORK"], **changes}}


def jwt(**changes: Any) -> dict[str, Any]:
    """``SIMPLE_JWT`` of production with ``changes``."""
    return {"SIMPLE_JWT": {**PRODUCTION["SIMPLE_JWT"], **changes}}


def middleware_without(path: str) -> dict[str, Any]:
    """``MIDDLEWARE`` of production without ``path``."""
    return {"MIDDLEWARE": [m for m in PRODUCTION["MIDDLEWARE"] if m != path]}


def middleware_moved_first(path: str) -> dict[str, Any]:
    """``MIDDLEWARE`` of production with ``path`` moved to the top."""
    return {"MIDDLEWARE": [path, *(m for m in PRODUCTION["MIDDLEWARE"] if m != path)]}


def cache(backend: str, **extra: Any) -> dict[str, Any]:
    """``CACHES`` with a default cache of ``backend``."""
    return {"CACHES": {"default": {"BACKEND": f"django.core.cache.backends.{backend}", **extra}}}


ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"
CREDENTIALED_CORS = {
    "CORS_ALLOWED_ORIGINS": ["https://app.example.com"],
    "CORS_ALLOW_CREDENTIALS": True,
}
RATES = PRODUCTION["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"]
WITHOUT_ANON = {k: v for k, v in RATES.items() if k != "anon"}
DRF_THROTTLES = {
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        # The testproject authenticates API keys: without their throttle, apisec.E430.
        "django_apisec.apikeys.throttling.ApiKeyRateThrottle",
    ]
}
VALIDATORS = PRODUCTION["AUTH_PASSWORD_VALIDATORS"]
SESSION_AUTH = "django_apisec.jwt.authentication.JWTSessionAuthentication"
SIMPLEJWT_AUTH = "rest_framework_simplejwt.authentication.JWTAuthentication"
SIMPLEJWT_URLS = "tests.simplejwt_urls"  # the testproject plus simplejwt's own token views
ROTATING = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}
BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"  # installed by tests/settings.py
# A project that mounts simplejwt's own views, configured as E209/W210 ask.
SIMPLEJWT_VIEWS = {"ROOT_URLCONF": SIMPLEJWT_URLS, **jwt(**ROTATING)}


def with_min_length(min_length: int) -> list[dict[str, Any]]:
    """Production's validators with MinimumLengthValidator set to ``min_length``."""
    return [
        {**v, "OPTIONS": {"min_length": min_length}} if "MinimumLength" in v["NAME"] else v
        for v in VALIDATORS
    ]


ROWS = [
    # Django core
    Row("DEBUG = True", "apisec.E001", {"DEBUG": True}),
    Row(
        "SECRET_KEY from startproject",
        "apisec.E002",
        {"SECRET_KEY": "django-insecure-" + "k3y" * 20},
    ),
    Row("ALLOWED_HOSTS = ['*']", "apisec.E003", {"ALLOWED_HOSTS": ["*"]}),
    Row("SECURE_SSL_REDIRECT = False", "apisec.E004", {"SECURE_SSL_REDIRECT": False}),
    Row("SECURE_HSTS_SECONDS = 3600", "apisec.E005", {"SECURE_HSTS_SECONDS": 3600}),
    Row(
        "SECURE_HSTS_INCLUDE_SUBDOMAINS = False",
        "apisec.W006",
        {"SECURE_HSTS_INCLUDE_SUBDOMAINS": False},
    ),
    Row("SECURE_HSTS_PRELOAD = False", "apisec.W007", {"SECURE_HSTS_PRELOAD": False}),
    Row("SESSION_COOKIE_SECURE = False", "apisec.E008", {"SESSION_COOKIE_SECURE": False}),
    Row("CSRF_COOKIE_SECURE = False", "apisec.E009", {"CSRF_COOKIE_SECURE": False}),
    Row("SESSION_COOKIE_HTTPONLY = False", "apisec.E010", {"SESSION_COOKIE_HTTPONLY": False}),
    Row("SESSION_COOKIE_SAMESITE = None", "apisec.E011", {"SESSION_COOKIE_SAMESITE": None}),
    Row("CSRF_COOKIE_SAMESITE = None", "apisec.W012", {"CSRF_COOKIE_SAMESITE": None}),
    Row("SESSION_COOKIE_NAME = 'sessionid'", "apisec.W013", {"SESSION_COOKIE_NAME": "sessionid"}),
    Row(
        "SESSION_COOKIE_DOMAIN set with a __Host- name",
        "apisec.E014",
        {"SESSION_COOKIE_DOMAIN": ".example.com"},
    ),
    Row("LANGUAGE_COOKIE_SECURE = False", "apisec.W015", {"LANGUAGE_COOKIE_SECURE": False}),
    Row(
        "SecurityMiddleware removed",
        "apisec.E016",
        middleware_without("django.middleware.security.SecurityMiddleware"),
    ),
    Row(
        "XFrameOptionsMiddleware removed",
        "apisec.E017",
        middleware_without("django.middleware.clickjacking.XFrameOptionsMiddleware"),
    ),
    Row("X_FRAME_OPTIONS = 'SAMEORIGIN'", "apisec.W018", {"X_FRAME_OPTIONS": "SAMEORIGIN"}),
    Row(
        "SECURE_CONTENT_TYPE_NOSNIFF = False",
        "apisec.E019",
        {"SECURE_CONTENT_TYPE_NOSNIFF": False},
    ),
    Row(
        "SECURE_REFERRER_POLICY = 'unsafe-url'",
        "apisec.W020",
        {"SECURE_REFERRER_POLICY": "unsafe-url"},
    ),
    Row(
        "SECURE_CROSS_ORIGIN_OPENER_POLICY = 'unsafe-none'",
        "apisec.W021",
        {"SECURE_CROSS_ORIGIN_OPENER_POLICY": "unsafe-none"},
    ),
    Row("SECURE_CSP = {}", "apisec.W022", {"SECURE_CSP": {}}),
    Row(
        "SECURE_CSP script-src 'unsafe-inline'",
        "apisec.W023",
        {"SECURE_CSP": {**PRODUCTION["SECURE_CSP"], "script-src": ["'self'", "'unsafe-inline'"]}},
    ),
    Row("PASSWORD_HASHERS with MD5 first", "apisec.E025", {"PASSWORD_HASHERS": [MD5, ARGON2]}),
    Row(
        "PASSWORD_HASHERS with MD5 as a fallback",
        "apisec.W026",
        {"PASSWORD_HASHERS": [ARGON2, MD5]},
    ),
    Row(
        "Argon2 with one pass over 19 MiB first",
        "apisec.E027",
        {"PASSWORD_HASHERS": [f"{__name__}.WeakArgon2Hasher", ARGON2]},
    ),
    Row(
        "an unimportable hasher in PASSWORD_HASHERS",
        "apisec.E030",
        {"PASSWORD_HASHERS": [ARGON2, "no.such.Hasher"]},
    ),
    Row(
        "DATA_UPLOAD_MAX_MEMORY_SIZE = None",
        "apisec.E031",
        {"DATA_UPLOAD_MAX_MEMORY_SIZE": None},
    ),
    Row(
        "DATA_UPLOAD_MAX_NUMBER_FIELDS = None",
        "apisec.E032",
        {"DATA_UPLOAD_MAX_NUMBER_FIELDS": None},
    ),
    Row(
        "DATA_UPLOAD_MAX_NUMBER_FILES = None",
        "apisec.E033",
        {"DATA_UPLOAD_MAX_NUMBER_FILES": None},
    ),
    Row("AUTH_PASSWORD_VALIDATORS = []", "apisec.E034", {"AUTH_PASSWORD_VALIDATORS": []}),
    Row(
        "MinimumLengthValidator removed",
        "apisec.E041",
        {"AUTH_PASSWORD_VALIDATORS": [v for v in VALIDATORS if "MinimumLength" not in v["NAME"]]},
    ),
    Row(
        "DEBUG_PROPAGATE_EXCEPTIONS = True",
        "apisec.E036",
        {"DEBUG_PROPAGATE_EXCEPTIONS": True},
    ),
    Row(
        "SECRET_KEY_FALLBACKS = ['old-short-key']",
        "apisec.E038",
        {"SECRET_KEY_FALLBACKS": ["old-short-key"]},
    ),
    Row(
        "CSRF_TRUSTED_ORIGINS = ['http://app.example.com']",
        "apisec.W039",
        {"CSRF_TRUSTED_ORIGINS": ["http://app.example.com"]},
    ),
    Row(
        "CSRF_TRUSTED_ORIGINS = ['https://*']",
        "apisec.E040",
        {"CSRF_TRUSTED_ORIGINS": ["https://*"]},
    ),
    # Django REST Framework
    Row(
        "DEFAULT_PERMISSION_CLASSES = [AllowAny]",
        "apisec.E101",
        rf(DEFAULT_PERMISSION_CLASSES=["rest_framework.permissions.AllowAny"]),
    ),
    Row(
        "BrowsableAPIRenderer added",
        "apisec.W102",
        rf(
            DEFAULT_RENDERER_CLASSES=[
                "rest_framework.renderers.JSONRenderer",
                "rest_framework.renderers.BrowsableAPIRenderer",
            ]
        ),
    ),
    Row("DEFAULT_THROTTLE_CLASSES = []", "apisec.E103", rf(DEFAULT_THROTTLE_CLASSES=[])),
    Row(
        "DRF's AnonRateThrottle without an 'anon' rate",
        "apisec.E104",
        rf(**DRF_THROTTLES, DEFAULT_THROTTLE_RATES=WITHOUT_ANON),
        base=rf(**DRF_THROTTLES),
    ),
    Row(
        "rate '10/fortnight'",
        "apisec.E105",
        rf(DEFAULT_THROTTLE_RATES={**RATES, "anon": "10/fortnight"}),
    ),
    Row("DEFAULT_PAGINATION_CLASS = None", "apisec.E106", rf(DEFAULT_PAGINATION_CLASS=None)),
    Row("PAGE_SIZE = None", "apisec.E107", rf(PAGE_SIZE=None)),
    Row(
        "LimitOffsetPagination (no max_limit)",
        "apisec.E108",
        rf(DEFAULT_PAGINATION_CLASS="rest_framework.pagination.LimitOffsetPagination"),
    ),
    Row(
        "BasicAuthentication added",
        "apisec.W109",
        rf(
            DEFAULT_AUTHENTICATION_CLASSES=[
                *PRODUCTION["REST_FRAMEWORK"]["DEFAULT_AUTHENTICATION_CLASSES"],
                "rest_framework.authentication.BasicAuthentication",
            ]
        ),
    ),
    Row(
        "TokenAuthentication added",
        "apisec.W110",
        rf(
            DEFAULT_AUTHENTICATION_CLASSES=[
                *PRODUCTION["REST_FRAMEWORK"]["DEFAULT_AUTHENTICATION_CLASSES"],
                "rest_framework.authentication.TokenAuthentication",
            ]
        ),
    ),
    Row(
        "DRF's own EXCEPTION_HANDLER",
        "apisec.W111",
        rf(EXCEPTION_HANDLER="rest_framework.views.exception_handler"),
    ),
    Row(
        "an unimportable DEFAULT_FILTER_BACKENDS entry",
        "apisec.E112",
        rf(DEFAULT_FILTER_BACKENDS=["no.such.FilterBackend"]),
    ),
    Row(
        "DRF's throttles with NUM_PROXIES = None",
        "apisec.E113",
        rf(**DRF_THROTTLES, NUM_PROXIES=None),
        base=rf(**DRF_THROTTLES),
    ),
    # simplejwt
    Row(
        "SIMPLE_JWT SIGNING_KEY = SECRET_KEY",
        "apisec.E201",
        jwt(SIGNING_KEY=PRODUCTION["SECRET_KEY"]),
    ),
    Row("an 18-byte signing key", "apisec.E202", jwt(SIGNING_KEY="Zx8#qL2v!Pm4-short")),
    Row("signing key 'secret-' * 10", "apisec.E203", jwt(SIGNING_KEY="secret-" * 10)),
    Row("ALGORITHM = 'none'", "apisec.E204", jwt(ALGORITHM="none")),
    Row(
        "ACCESS_TOKEN_LIFETIME = 2 hours",
        "apisec.E206",
        jwt(ACCESS_TOKEN_LIFETIME=timedelta(hours=2)),
    ),
    Row(
        "ACCESS_TOKEN_LIFETIME = 30 minutes",
        "apisec.W207",
        jwt(ACCESS_TOKEN_LIFETIME=timedelta(minutes=30)),
    ),
    Row(
        "REFRESH_TOKEN_LIFETIME = 90 days",
        "apisec.W208",
        jwt(REFRESH_TOKEN_LIFETIME=timedelta(days=90)),
    ),
    # E209/W210/W214 judge simplejwt's own token views, E212/W213/W215 its own authentication:
    # the testproject uses neither (its token families replace them), so these rows mount them.
    Row(
        "simplejwt's token views mounted, no token_blacklist app",
        "apisec.E209",
        {
            "ROOT_URLCONF": SIMPLEJWT_URLS,
            "INSTALLED_APPS": [app for app in settings.INSTALLED_APPS if app != BLACKLIST_APP],
        },
    ),
    Row(
        "simplejwt's views, BLACKLIST_AFTER_ROTATION = False",
        "apisec.E209",
        jwt(**{**ROTATING, "BLACKLIST_AFTER_ROTATION": False}),
        base=SIMPLEJWT_VIEWS,
    ),
    Row(
        "simplejwt's views, ROTATE_REFRESH_TOKENS = False",
        "apisec.W210",
        jwt(**{**ROTATING, "ROTATE_REFRESH_TOKENS": False}),
        base=SIMPLEJWT_VIEWS,
    ),
    Row("LEEWAY = 300", "apisec.W211", jwt(LEEWAY=300)),
    Row(
        "simplejwt's views, JWK_URL over http",
        "apisec.E212",
        jwt(**ROTATING, JWK_URL="http://idp.example.com/.well-known/jwks.json"),
        base=SIMPLEJWT_VIEWS,
    ),
    Row(
        "simplejwt's views, SlidingToken in AUTH_TOKEN_CLASSES",
        "apisec.W213",
        jwt(**ROTATING, AUTH_TOKEN_CLASSES=("rest_framework_simplejwt.tokens.SlidingToken",)),
        base=SIMPLEJWT_VIEWS,
    ),
    Row(
        "simplejwt's views, UPDATE_LAST_LOGIN = True",
        "apisec.W214",
        jwt(**ROTATING, UPDATE_LAST_LOGIN=True),
        base=SIMPLEJWT_VIEWS,
    ),
    Row(
        "simplejwt's JWTAuthentication added, CHECK_REVOKE_TOKEN off",
        "apisec.W215",
        rf(DEFAULT_AUTHENTICATION_CLASSES=[SESSION_AUTH, SIMPLEJWT_AUTH]),
    ),
    # CORS
    Row(
        "CORS_ALLOW_ALL_ORIGINS = True, with credentials",
        "apisec.E301",
        {"CORS_ALLOW_ALL_ORIGINS": True},
        base=CREDENTIALED_CORS,
    ),
    Row("CORS_ALLOW_ALL_ORIGINS = True", "apisec.W302", {"CORS_ALLOW_ALL_ORIGINS": True}),
    Row(
        "an origin regex without '$'",
        "apisec.E303",
        {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://app\.example\.com"]},
    ),
    Row(
        "an unescaped '.' in an origin regex",
        "apisec.W304",
        {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://app.example\.com$"]},
    ),
    Row(
        "an http origin, with credentials",
        "apisec.E305",
        {"CORS_ALLOWED_ORIGINS": ["https://app.example.com", "http://app.example.com"]},
        base=CREDENTIALED_CORS,
    ),
    Row(
        "an http origin",
        "apisec.E311",
        {"CORS_ALLOWED_ORIGINS": ["http://app.example.com"]},
    ),
    Row("the 'null' origin", "apisec.E307", {"CORS_ALLOWED_ORIGINS": ["null"]}),
    Row(
        "CorsMiddleware removed",
        "apisec.E308",
        middleware_without("corsheaders.middleware.CorsMiddleware"),
    ),
    Row(
        "CommonMiddleware above CorsMiddleware",
        "apisec.E309",
        middleware_moved_first("django.middleware.common.CommonMiddleware"),
    ),
    Row("CORS_ALLOW_PRIVATE_NETWORK = True", "apisec.W310", {"CORS_ALLOW_PRIVATE_NETWORK": True}),
    # Abuse-control state and proxies
    Row("the default cache is LocMemCache", "apisec.E401", cache("locmem.LocMemCache")),
    Row("the default cache is DummyCache", "apisec.E402", cache("dummy.DummyCache")),
    Row(
        "the default cache is FileBasedCache",
        "apisec.E403",
        cache("filebased.FileBasedCache", LOCATION="/tmp/apisec-cache"),  # noqa: S108
    ),
    Row("APISEC_CACHE names a missing alias", "apisec.E404", {"APISEC_CACHE": "abuse"}),
    Row(
        "RATELIMIT_USE_CACHE names a missing alias",
        "apisec.E406",
        {"RATELIMIT_USE_CACHE": "ratelimit"},
    ),
    Row(
        "RATELIMIT_IP_META_KEY = 'HTTP_X_FORWARDED_FOR'",
        "apisec.E407",
        {"RATELIMIT_IP_META_KEY": "HTTP_X_FORWARDED_FOR"},
    ),
    Row(
        "SECURE_PROXY_SSL_HEADER without trusted proxies",
        "apisec.E408",
        {"SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")},
    ),
    Row("USE_X_FORWARDED_HOST = True", "apisec.E409", {"USE_X_FORWARDED_HOST": True}),
    Row(
        "APISEC_TRUSTED_PROXIES=10.0.0.1/8 (host bits set)",
        "apisec.E410",
        env={"APISEC_TRUSTED_PROXIES": "10.0.0.1/8"},
    ),
    Row(
        "APISEC_TRUSTED_PROXIES=0.0.0.0/0",
        "apisec.E411",
        env={"APISEC_TRUSTED_PROXIES": "0.0.0.0/0"},
    ),
    Row("APISEC_FAILURE_POLICY = 'open'", "apisec.E413", {"APISEC_FAILURE_POLICY": "open"}),
    Row(
        "AUTHENTICATION_BACKENDS without the lockout backend",
        "apisec.E414",
        {"AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.ModelBackend"]},
    ),
    Row(
        "our AnonRateThrottle without an 'anon' rate",
        "apisec.E415",
        rf(DEFAULT_THROTTLE_RATES=WITHOUT_ANON),
    ),
    Row(
        "behind a trusted proxy, SECURE_PROXY_SSL_HEADER = None",
        "apisec.W412",
        {"SECURE_PROXY_SSL_HEADER": None},
        base_env={"APISEC_TRUSTED_PROXIES": "10.0.0.0/24"},
    ),
    Row(
        "django-redis ShardClient for the abuse-control cache",
        "apisec.E416",
        {
            "CACHES": {
                "default": {
                    "BACKEND": "django_redis.cache.RedisCache",
                    "LOCATION": ["redis://10.0.0.1:6380/0", "redis://10.0.0.2:6380/0"],
                    "OPTIONS": {"CLIENT_CLASS": "django_redis.client.ShardClient"},
                }
            }
        },
    ),
    Row(
        "django-redis without SOCKET_TIMEOUT",
        "apisec.W417",
        {
            "CACHES": {
                "default": {
                    "BACKEND": "django_redis.cache.RedisCache",
                    "LOCATION": "redis://10.0.0.1:6380/0",
                }
            }
        },
    ),
    Row(
        "RedisClusterCache with LOCATION '10.0.0.1:7000' (not a URL)",
        "apisec.E418",
        {
            "CACHES": {
                "default": {
                    "BACKEND": "django_apisec.store.cache.RedisClusterCache",
                    "LOCATION": "10.0.0.1:7000",
                }
            }
        },
    ),
    # django_apisec's own settings: a value it cannot use, then values beyond production bounds
    Row("APISEC_MAX_BODY_SIZE = '5000' (a str)", "apisec.E606", {"APISEC_MAX_BODY_SIZE": "5000"}),
    Row("APISEC_JSON_MAX_DEPTH = '8' (a str)", "apisec.E607", {"APISEC_JSON_MAX_DEPTH": "8"}),
    Row(
        "APISEC_JWT_SESSION_MAX_AGE = '1 day'",
        "apisec.E614",
        {"APISEC_JWT_SESSION_MAX_AGE": "1 day"},
    ),
    Row(
        "APISEC_JWT_REUSE_GRACE_SECONDS = None",
        "apisec.E615",
        {"APISEC_JWT_REUSE_GRACE_SECONDS": None},
    ),
    Row("APISEC_JWT_PRUNE_EVERY = 'abc'", "apisec.E622", {"APISEC_JWT_PRUNE_EVERY": "abc"}),
    Row("APISEC_FAILURE_POLICY = 'Open'", "apisec.E604", {"APISEC_FAILURE_POLICY": "Open"}),
    Row("APISEC_JWT_COOKIE_SECURE = False", "apisec.E650", {"APISEC_JWT_COOKIE_SECURE": False}),
    Row("APISEC_MAX_BODY_SIZE = 10 GiB", "apisec.E651", {"APISEC_MAX_BODY_SIZE": 10 * 1024**3}),
    Row(
        "DATA_UPLOAD_MAX_MEMORY_SIZE = 100 MiB, no APISEC_MAX_BODY_SIZE",
        "apisec.E651",
        {"DATA_UPLOAD_MAX_MEMORY_SIZE": 100 * 1024**2},
    ),
    Row("APISEC_JSON_MAX_DEPTH = 1000000", "apisec.E652", {"APISEC_JSON_MAX_DEPTH": 1_000_000}),
    Row("APISEC_JSON_MAX_ITEMS = 10000000", "apisec.E653", {"APISEC_JSON_MAX_ITEMS": 10_000_000}),
    Row("APISEC_MAX_PAGE_SIZE = 1000000", "apisec.E654", {"APISEC_MAX_PAGE_SIZE": 1_000_000}),
    Row(
        "APISEC_JWT_SESSION_MAX_AGE = 10 years",
        "apisec.E655",
        {"APISEC_JWT_SESSION_MAX_AGE": timedelta(days=3650)},
    ),
    Row(
        "APISEC_LOCKOUT_THRESHOLD = 1000000",
        "apisec.E656",
        {"APISEC_LOCKOUT_THRESHOLD": 1_000_000},
    ),
    Row(
        "APISEC_LOCKOUT_WINDOW = 60 (5 failures a minute)",
        "apisec.E656",
        {"APISEC_LOCKOUT_WINDOW": 60},
    ),
    Row("APISEC_LOCKOUT_PERIODS = [1]", "apisec.E656", {"APISEC_LOCKOUT_PERIODS": [1]}),
    Row(
        "APISEC_JWT_REUSE_GRACE_SECONDS = 3600",
        "apisec.E657",
        {"APISEC_JWT_REUSE_GRACE_SECONDS": 3600},
    ),
    Row(
        "APISEC_TRUSTED_DEVICE_AGE = 10 years",
        "apisec.E658",
        {"APISEC_TRUSTED_DEVICE_AGE": 3650 * 86400},
    ),
    # Issue 11: gate gaps
    Row(
        "MinimumLengthValidator min_length = 6",
        "apisec.E041",
        {"AUTH_PASSWORD_VALIDATORS": with_min_length(6)},
    ),
    Row(
        "MinimumLengthValidator min_length = 10",
        "apisec.W035",
        {"AUTH_PASSWORD_VALIDATORS": with_min_length(10)},
    ),
    Row("ALLOWED_HOSTS = []", "apisec.E042", {"ALLOWED_HOSTS": []}),
    Row(
        "an origin regex matching http://",
        "apisec.E311",
        {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https?://app\.example\.com$"]},
    ),
    Row(
        "an http://localhost origin",
        "apisec.E311",
        {"CORS_ALLOWED_ORIGINS": ["http://localhost:3000"]},
    ),
    # The testproject passes a non-number from the environment on, for the check to report.
    Row(
        "APISEC_LOCKOUT_THRESHOLD=abc in the environment",
        "apisec.E610",
        env={"APISEC_LOCKOUT_THRESHOLD": "abc"},
    ),
    # Issue 14: API keys
    Row(
        "ApiKeyAuthentication without ApiKeyRateThrottle",
        "apisec.E430",
        rf(
            DEFAULT_THROTTLE_CLASSES=[
                "django_apisec.abuse.throttling.AnonRateThrottle",
                "django_apisec.abuse.throttling.UserRateThrottle",
            ]
        ),
    ),
    Row(
        "APISEC_API_KEY_HTTPS_ONLY = False",
        "apisec.E431",
        {"APISEC_API_KEY_HTTPS_ONLY": False},
    ),
    # Issue 18: front ends
    Row(
        "CORS_ALLOWED_ORIGINS=https://app.example.net in the environment (API on example.com)",
        "apisec.W321",
        env={"CORS_ALLOWED_ORIGINS": "https://app.example.net"},
    ),
    # Issue 15: passkeys
    Row(
        "APISEC_WEBAUTHN_RP_ID=example.org in the environment (API on api.example.com)",
        "apisec.E518",
        env={"APISEC_WEBAUTHN_RP_ID": "example.org"},
    ),
    Row(
        "APISEC_WEBAUTHN_ORIGINS=https://api.example.com,https://example.net",
        "apisec.E517",
        env={"APISEC_WEBAUTHN_ORIGINS": "https://api.example.com,https://example.net"},
    ),
    Row(
        "APISEC_WEBAUTHN_ORIGINS=http://api.example.com",
        "apisec.E663",
        env={"APISEC_WEBAUTHN_ORIGINS": "http://api.example.com"},
    ),
]


def settings_for(row: Row, *, with_change: bool) -> dict[str, Any]:
    """Production settings under the row's environment, its base, then (or not) its change."""
    env = {**row.base_env, **(row.env if with_change else {})}
    start = load_testproject_settings({**PRODUCTION_ENV, **env}) if env else PRODUCTION
    applied = {k: v for k, v in start.items() if k not in NOT_OVERRIDDEN}
    applied.update(row.base)
    if with_change:
        applied.update(row.overrides)
    return applied


def apisec_ids(applied: dict[str, Any]) -> set[str]:
    """The apisec ids every check (deploy included) reports under ``applied``."""
    with override_settings(**applied):
        messages = run_checks(include_deployment_checks=True)
    return {m.id for m in messages if m.id and m.id.startswith("apisec.")}


def test_the_production_settings_pass() -> None:
    ids = apisec_ids(settings_for(Row("", ""), with_change=False))
    assert {i for i in ids if ".E" in i} == set()
    with override_settings(**settings_for(Row("", ""), with_change=False)):
        call_command("check", deploy=True, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.expected}:{r.change}" for r in ROWS])
def test_each_insecure_change_alone_gives_exactly_its_id(row: Row) -> None:
    before = apisec_ids(settings_for(row, with_change=False))
    assert {i for i in before if ".E" in i} == set(), "the row's base must pass on its own"
    after = apisec_ids(settings_for(row, with_change=True))
    assert after - before == {row.expected}


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.expected}:{r.change}" for r in ROWS])
def test_errors_fail_check_deploy_and_warnings_do_not(row: Row) -> None:
    stderr = io.StringIO()
    with override_settings(**settings_for(row, with_change=True)):
        if ".E" in row.expected:
            with pytest.raises(SystemCheckError, match=row.expected.replace(".", r"\.")):
                call_command("check", deploy=True, stdout=io.StringIO(), stderr=stderr)
        else:
            call_command("check", deploy=True, stdout=io.StringIO(), stderr=stderr)
            assert row.expected in stderr.getvalue()


def render_table() -> str:
    """The docs page: one line per row."""
    lines = [
        "Breaking the production settings",
        "================================",
        "",
        "The testproject's production settings pass ``check --deploy``. The test suite",
        "(``tests/test_deploy_gate.py``) then breaks them one way at a time and asserts, for each",
        "change alone, the exact id it adds and the exit status: an error makes",
        "``check --deploy`` exit non-zero, a warning does not. The views audit (``5xx``) is about",
        "code rather than settings; its cases are in ``tests/test_checks_views_audit.py``.",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 70 15 15",
        "",
        "   * - change to the production settings",
        "     - id",
        "     - ``check --deploy``",
    ]
    for row in ROWS:
        exit_status = "exits 1" if ".E" in row.expected else "exits 0"
        label = row.change.replace("*", r"\*")
        lines += [f"   * - {label}", f"     - ``{row.expected}``", f"     - {exit_status}"]
    return "\n".join(lines) + "\n"


def test_docs_table_lists_every_row() -> None:
    expected = render_table()
    if os.environ.get("APISEC_WRITE_DOCS") == "1":
        DOCS.write_text(expected)
    assert DOCS.read_text() == expected, "regenerate: APISEC_WRITE_DOCS=1 pytest " + __file__


def test_the_insecure_project_of_issue_2_cannot_pass() -> None:
    # Allow-all CORS with credentials, AllowAny, a 5-byte JWT key, 30-day access tokens, MD5
    # and ALLOWED_HOSTS=['*']: every existing check lets this through on Django 6.1.
    insecure = {
        **settings_for(Row("", ""), with_change=False),
        "DEBUG": True,
        "ALLOWED_HOSTS": ["*"],
        "PASSWORD_HASHERS": [MD5],
        "CORS_ALLOW_ALL_ORIGINS": True,
        "CORS_ALLOW_CREDENTIALS": True,
        **rf(DEFAULT_PERMISSION_CLASSES=["rest_framework.permissions.AllowAny"]),
        **jwt(SIGNING_KEY="12345", ACCESS_TOKEN_LIFETIME=timedelta(days=30)),
    }
    assert apisec_ids(insecure) >= {
        "apisec.E001",
        "apisec.E003",
        "apisec.E025",
        "apisec.E101",
        "apisec.E202",
        "apisec.E206",
        "apisec.E301",
    }
    with override_settings(**insecure), pytest.raises(SystemCheckError):
        call_command("check", deploy=True, stdout=io.StringIO(), stderr=io.StringIO())
