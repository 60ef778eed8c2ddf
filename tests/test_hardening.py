"""``harden()`` on plain dict namespaces: profile defaults, what wins, secrets, the report."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import django
import pytest
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.exceptions import ImproperlyConfigured, ValidationError

from django_apisec.abuse.hashing import Argon2idPasswordHasher
from django_apisec.dotted_paths import (
    API_SECURITY_MIDDLEWARE,
    AUTH_MIDDLEWARE,
    CORS_MIDDLEWARE,
    CSRF_MIDDLEWARE,
    DJANGO_CSP_MIDDLEWARE,
    SECURITY_MIDDLEWARE,
    XFRAME_MIDDLEWARE,
)
from django_apisec.dotted_paths import CSP_BACKPORT_MIDDLEWARE as APISEC_CSP_MIDDLEWARE
from django_apisec.hardening import profiles
from django_apisec.hardening.apply import (
    ENVIRONMENT,
    MERGED,
    PROFILE,
    PROJECT,
    development_jwt_signing_key,
    harden,
)
from django_apisec.hardening.middleware_stack import DEFAULT_MIDDLEWARE, csp_middleware
from django_apisec.hardening.profiles import GOVERNED_SETTINGS, ONE_YEAR, SECRET_SETTINGS

SECRET = "env-secret-key-" + "s" * 60
JWT_KEY = "env-jwt-signing-key-" + "j" * 60
PRODUCTION_ENV = {"DJANGO_SECRET_KEY": SECRET, "APISEC_JWT_SIGNING_KEY": JWT_KEY}
SESSIONS_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"
COMMON_MIDDLEWARE = "django.middleware.common.CommonMiddleware"


def hardened(
    profile: str | None = "production",
    environ: dict[str, str] | None = None,
    **project: Any,
) -> dict[str, Any]:
    """A namespace holding ``project``, hardened; production secrets come from the environment."""
    namespace = dict(project)
    harden(namespace, profile=profile, environ=PRODUCTION_ENV if environ is None else environ)
    return namespace


def report(namespace: dict[str, Any]) -> dict[str, str]:
    return namespace["APISEC_HARDENING_REPORT"]  # type: ignore[no-any-return]


# --- profile defaults -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "development", "production"),
    [
        ("DEBUG", True, False),
        ("DEBUG_PROPAGATE_EXCEPTIONS", False, False),
        ("SECRET_KEY_FALLBACKS", [], []),
        ("SECURE_SSL_REDIRECT", False, True),
        ("SECURE_HSTS_SECONDS", 0, ONE_YEAR),
        ("SECURE_HSTS_INCLUDE_SUBDOMAINS", False, True),
        ("SECURE_HSTS_PRELOAD", False, True),
        ("APISEC_TRUSTED_PROXIES", [], []),
        ("USE_X_FORWARDED_HOST", False, False),
        ("SECURE_CONTENT_TYPE_NOSNIFF", True, True),
        ("SECURE_REFERRER_POLICY", "same-origin", "same-origin"),
        ("SECURE_CROSS_ORIGIN_OPENER_POLICY", "same-origin", "same-origin"),
        ("X_FRAME_OPTIONS", "DENY", "DENY"),
        ("SESSION_COOKIE_NAME", "apisec_sessionid", "__Host-sessionid"),
        ("SESSION_COOKIE_SECURE", False, True),
        ("SESSION_COOKIE_HTTPONLY", True, True),
        ("SESSION_COOKIE_SAMESITE", "Lax", "Lax"),
        ("CSRF_COOKIE_NAME", "apisec_csrftoken", "__Host-csrftoken"),
        ("CSRF_COOKIE_SECURE", False, True),
        ("CSRF_COOKIE_HTTPONLY", True, True),
        ("CSRF_COOKIE_SAMESITE", "Strict", "Strict"),
        ("LANGUAGE_COOKIE_SECURE", False, True),
        ("LANGUAGE_COOKIE_HTTPONLY", True, True),
        ("LANGUAGE_COOKIE_SAMESITE", "Lax", "Lax"),
        ("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024, 1024 * 1024),
        ("DATA_UPLOAD_MAX_NUMBER_FIELDS", 200, 200),
        ("DATA_UPLOAD_MAX_NUMBER_FILES", 10, 10),
        ("FILE_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024, 1024 * 1024),
        ("FILE_UPLOAD_PERMISSIONS", 0o640, 0o640),
        ("CORS_ALLOWED_ORIGINS", [], []),
        ("CORS_ALLOWED_ORIGIN_REGEXES", [], []),
        ("CORS_ALLOW_ALL_ORIGINS", False, False),
        ("CORS_ALLOW_CREDENTIALS", False, False),
    ],
)
def test_profile_defaults(name: str, development: object, production: object) -> None:
    dev = hardened("development")
    prod = hardened("production")
    assert dev[name] == development
    assert prod[name] == production
    assert report(dev)[name] == report(prod)[name] == PROFILE


def test_allowed_hosts_only_defaulted_in_development() -> None:
    assert hardened("development")["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    # Production has no default: Django's empty list refuses every Host until the project
    # names its hosts, and nothing is reported for a setting harden() did not touch.
    prod = hardened("production")
    assert "ALLOWED_HOSTS" not in prod
    assert "ALLOWED_HOSTS" not in report(prod)
    prod = hardened("production", ALLOWED_HOSTS=["api.example.com"])
    assert prod["ALLOWED_HOSTS"] == ["api.example.com"]
    assert report(prod)["ALLOWED_HOSTS"] == PROJECT


@pytest.mark.parametrize(
    "project",
    [
        {"CORS_ALLOWED_ORIGINS": ["https://app.example.com"]},
        {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://(app|beta)\.example\.com$"]},
        {"CORS_ORIGIN_WHITELIST": ["https://app.example.com"]},
    ],
)
def test_an_explicit_cors_allowlist_gets_credentials(project: dict[str, Any]) -> None:
    # The refresh token travels in a cookie: without Allow-Credentials a browser SPA on the
    # listed origin never completes a login (Chromium blocks the credentialed fetch).
    for profile in ("development", "production"):
        namespace = hardened(profile, **project)
        assert namespace["CORS_ALLOW_CREDENTIALS"] is True
        assert report(namespace)["CORS_ALLOW_CREDENTIALS"] == PROFILE


@pytest.mark.parametrize("allow_all", ["CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"])
def test_allow_all_never_gets_credentials(allow_all: str) -> None:
    # Credentials with allow-all is apisec.E301: any site could act as the signed-in user.
    namespace = hardened(**{allow_all: True, "CORS_ALLOWED_ORIGINS": ["https://app.example.com"]})
    assert namespace["CORS_ALLOW_CREDENTIALS"] is False


def test_the_projects_own_cors_credentials_win() -> None:
    namespace = hardened(
        CORS_ALLOWED_ORIGINS=["https://app.example.com"], CORS_ALLOW_CREDENTIALS=False
    )
    assert namespace["CORS_ALLOW_CREDENTIALS"] is False
    assert report(namespace)["CORS_ALLOW_CREDENTIALS"] == PROJECT


def test_hsts_is_at_least_one_year_with_subdomains_and_preload() -> None:
    prod = hardened("production")
    assert prod["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert prod["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert prod["SECURE_HSTS_PRELOAD"] is True
    assert prod["SECURE_SSL_REDIRECT"] is True


@pytest.mark.parametrize("profile", ["development", "production"])
def test_csp_is_a_strict_dict(profile: str) -> None:
    csp = hardened(profile)["SECURE_CSP"]
    assert isinstance(csp, dict)
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert all("'unsafe-inline'" not in sources for sources in csp.values())


def test_csp_default_is_a_fresh_dict_per_call() -> None:
    first = hardened("production")
    first["SECURE_CSP"]["default-src"].append("https://evil.example")
    assert hardened("production")["SECURE_CSP"]["default-src"] == ["'self'"]


# --- cookies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "base"), [("SESSION_COOKIE", "sessionid"), ("CSRF_COOKIE", "csrftoken")]
)
def test_cookie_names_fall_back_to_secure_prefix_with_domain_or_path(
    prefix: str, base: str
) -> None:
    assert hardened(**{f"{prefix}_DOMAIN": ".example.com"})[f"{prefix}_NAME"] == f"__Secure-{base}"
    assert hardened(**{f"{prefix}_PATH": "/api"})[f"{prefix}_NAME"] == f"__Secure-{base}"
    assert hardened(**{f"{prefix}_PATH": "/"})[f"{prefix}_NAME"] == f"__Host-{base}"
    assert hardened(**{f"{prefix}_DOMAIN": None})[f"{prefix}_NAME"] == f"__Host-{base}"


@pytest.mark.parametrize(
    ("prefix", "base"), [("SESSION_COOKIE", "sessionid"), ("CSRF_COOKIE", "csrftoken")]
)
def test_cookie_names_follow_the_secure_flag(prefix: str, base: str) -> None:
    # Browsers drop a prefixed cookie that is not Secure: that would silently break login.
    prod = hardened("production", **{f"{prefix}_SECURE": False})
    assert prod[f"{prefix}_NAME"] == f"apisec_{base}"
    assert prod[f"{prefix}_SECURE"] is False
    assert report(prod)[f"{prefix}_SECURE"] == PROJECT
    dev = hardened("development", **{f"{prefix}_SECURE": True})
    assert dev[f"{prefix}_NAME"] == f"__Host-{base}"


def test_cookie_name_of_the_project_wins() -> None:
    prod = hardened(SESSION_COOKIE_NAME="api_session", SESSION_COOKIE_DOMAIN=".example.com")
    assert prod["SESSION_COOKIE_NAME"] == "api_session"
    assert report(prod)["SESSION_COOKIE_NAME"] == PROJECT


# --- proxies --------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["development", "production"])
@pytest.mark.parametrize("proxies", [None, [], "", " , ", (), 42])
def test_no_proxy_header_without_trusted_proxies(profile: str, proxies: object) -> None:
    project = {} if proxies is None else {"APISEC_TRUSTED_PROXIES": proxies}
    namespace = hardened(profile, **project)
    # A client could claim https itself: never believe X-Forwarded-Proto without a proxy.
    assert "SECURE_PROXY_SSL_HEADER" not in namespace
    assert "SECURE_PROXY_SSL_HEADER" not in report(namespace)
    # 0: REMOTE_ADDR; DRF's None would let a client pick its throttle bucket via XFF.
    assert namespace["REST_FRAMEWORK"]["NUM_PROXIES"] == 0


@pytest.mark.parametrize(
    "proxies", [["10.0.0.0/8"], ("10.0.0.0/8", "192.168.0.1"), "10.0.0.0/8, ::1"]
)
def test_proxy_header_with_trusted_proxies(proxies: object) -> None:
    namespace = hardened(APISEC_TRUSTED_PROXIES=proxies)
    assert namespace["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert report(namespace)["SECURE_PROXY_SSL_HEADER"] == PROFILE
    assert namespace["REST_FRAMEWORK"]["NUM_PROXIES"] == 1
    assert namespace["APISEC_TRUSTED_PROXIES"] == proxies
    assert report(namespace)["APISEC_TRUSTED_PROXIES"] == PROJECT


def test_project_proxy_settings_win() -> None:
    namespace = hardened(
        APISEC_TRUSTED_PROXIES=["10.0.0.0/8"],
        SECURE_PROXY_SSL_HEADER=("HTTP_X_SCHEME", "https"),
        REST_FRAMEWORK={"NUM_PROXIES": 2},
    )
    assert namespace["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_SCHEME", "https")
    assert namespace["REST_FRAMEWORK"]["NUM_PROXIES"] == 2
    assert report(namespace)["SECURE_PROXY_SSL_HEADER"] == PROJECT
    assert report(namespace)["REST_FRAMEWORK.NUM_PROXIES"] == PROJECT


# --- passwords and uploads ------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["development", "production"])
def test_argon2_first_with_fallbacks(profile: str) -> None:
    hashers = hardened(profile)["PASSWORD_HASHERS"]
    assert hashers[0] == "django_apisec.abuse.hashing.Argon2idPasswordHasher"
    # No other argon2 hasher after it: the last one of an algorithm verifies its hashes.
    assert not any("Argon2" in hasher for hasher in hashers[1:])
    # Existing PBKDF2 hashes still verify, and are upgraded to Argon2 on the next login.
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in hashers[1:]
    assert not any("MD5" in hasher or "Unsalted" in hasher for hasher in hashers)


def test_argon2_parameters_meet_owasp_minimum() -> None:
    # OWASP Password Storage Cheat Sheet: Argon2id, m >= 19 MiB, t >= 2, p >= 1.
    hasher = Argon2idPasswordHasher()
    assert isinstance(hasher, Argon2PasswordHasher)
    assert hasher.memory_cost >= 19 * 1024
    assert hasher.time_cost >= 2
    assert hasher.parallelism >= 1


@pytest.mark.parametrize("profile", ["development", "production"])
def test_password_validators_require_twelve_characters(profile: str) -> None:
    config = hardened(profile)["AUTH_PASSWORD_VALIDATORS"]
    validators = password_validation.get_password_validators(config)
    with pytest.raises(ValidationError):
        password_validation.validate_password("kq8#vZ2!pW4", password_validators=validators)
    password_validation.validate_password("kq8#vZ2!pW4m", password_validators=validators)
    lengths = [
        v["OPTIONS"]["min_length"] for v in config if v["NAME"].endswith("MinimumLengthValidator")
    ]
    assert lengths == [12]


def test_password_settings_of_the_project_win() -> None:
    hashers = ["django.contrib.auth.hashers.ScryptPasswordHasher"]
    namespace = hardened(PASSWORD_HASHERS=hashers, AUTH_PASSWORD_VALIDATORS=[])
    assert namespace["PASSWORD_HASHERS"] == hashers
    assert namespace["AUTH_PASSWORD_VALIDATORS"] == []


# --- REST_FRAMEWORK and SIMPLE_JWT ----------------------------------------------------------


def test_rest_framework_defaults() -> None:
    drf = hardened("production")["REST_FRAMEWORK"]
    assert drf["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "django_apisec.jwt.authentication.JWTSessionAuthentication"
    ]
    assert drf["DEFAULT_PERMISSION_CLASSES"] == ["rest_framework.permissions.IsAuthenticated"]
    assert drf["DEFAULT_THROTTLE_CLASSES"] == [
        "django_apisec.abuse.throttling.AnonRateThrottle",
        "django_apisec.abuse.throttling.UserRateThrottle",
    ]
    assert set(drf["DEFAULT_THROTTLE_RATES"]) == {"anon", "user", "login_ip", "login_account"}
    assert drf["DEFAULT_RENDERER_CLASSES"] == ["rest_framework.renderers.JSONRenderer"]
    assert drf["DEFAULT_PARSER_CLASSES"] == ["django_apisec.http.parsers.JSONParser"]
    pagination = "django_apisec.http.pagination.BoundedPageNumberPagination"
    assert drf["DEFAULT_PAGINATION_CLASS"] == pagination
    assert drf["PAGE_SIZE"] == 50
    assert drf["EXCEPTION_HANDLER"] == "django_apisec.http.exception_handler.exception_handler"
    assert "DEFAULT_SCHEMA_CLASS" not in drf


def test_browsable_api_only_in_development() -> None:
    renderers = hardened("development")["REST_FRAMEWORK"]["DEFAULT_RENDERER_CLASSES"]
    assert renderers == [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ]


@pytest.mark.parametrize("app", ["drf_spectacular", "drf_spectacular.apps.SpectacularConfig"])
def test_schema_class_when_drf_spectacular_is_installed(app: str) -> None:
    namespace = hardened(INSTALLED_APPS=[app])
    assert (
        namespace["REST_FRAMEWORK"]["DEFAULT_SCHEMA_CLASS"] == "drf_spectacular.openapi.AutoSchema"
    )
    assert report(namespace)["REST_FRAMEWORK.DEFAULT_SCHEMA_CLASS"] == PROFILE


def test_rest_framework_merge_project_keys_win() -> None:
    project = {
        "DEFAULT_PERMISSION_CLASSES": ["myapp.permissions.Custom"],
        "PAGE_SIZE": 10,
        "UNRELATED_KEY": "kept",
    }
    namespace = hardened(REST_FRAMEWORK=project)
    drf = namespace["REST_FRAMEWORK"]
    assert drf["DEFAULT_PERMISSION_CLASSES"] == ["myapp.permissions.Custom"]
    assert drf["PAGE_SIZE"] == 10
    assert drf["UNRELATED_KEY"] == "kept"
    assert drf["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "django_apisec.jwt.authentication.JWTSessionAuthentication"
    ]
    assert report(namespace)["REST_FRAMEWORK.DEFAULT_PERMISSION_CLASSES"] == PROJECT
    assert report(namespace)["REST_FRAMEWORK.PAGE_SIZE"] == PROJECT
    assert report(namespace)["REST_FRAMEWORK.DEFAULT_AUTHENTICATION_CLASSES"] == PROFILE
    assert "REST_FRAMEWORK.UNRELATED_KEY" not in report(namespace)
    # The project's own dict object is left as it was.
    assert set(project) == {"DEFAULT_PERMISSION_CLASSES", "PAGE_SIZE", "UNRELATED_KEY"}


def test_throttle_rates_merge_one_level_deeper() -> None:
    # Without "anon" DRF's AnonRateThrottle raises ImproperlyConfigured on every request.
    namespace = hardened(
        REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {"user": "5/min", "login": "3/min"}}
    )
    rates = namespace["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"]
    assert rates == {
        "anon": "60/min",
        "user": "5/min",
        "login": "3/min",
        "login_ip": "20/min",
        "login_account": "10/min",
    }
    assert report(namespace)["REST_FRAMEWORK.DEFAULT_THROTTLE_RATES"] == MERGED

    complete = {"anon": "1/min", "user": "2/min", "login_ip": "3/min", "login_account": "4/min"}
    namespace = hardened(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": complete})
    assert namespace["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"] == complete
    assert report(namespace)["REST_FRAMEWORK.DEFAULT_THROTTLE_RATES"] == PROJECT


def test_throttle_rates_that_are_not_a_dict_are_kept() -> None:
    namespace = hardened(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": None})
    assert namespace["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"] is None
    assert report(namespace)["REST_FRAMEWORK.DEFAULT_THROTTLE_RATES"] == PROJECT


@pytest.mark.parametrize("name", ["REST_FRAMEWORK", "SIMPLE_JWT"])
def test_merged_settings_must_be_dicts(name: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=f"{name} must be a dict, not list"):
        hardened(**{name: ["not", "a", "dict"]})


@pytest.mark.parametrize("name", ["REST_FRAMEWORK", "SIMPLE_JWT"])
def test_merged_setting_none_is_empty(name: str) -> None:
    assert isinstance(hardened(**{name: None})[name], dict)


def test_simple_jwt_defaults() -> None:
    jwt = hardened("production")["SIMPLE_JWT"]
    assert jwt["ACCESS_TOKEN_LIFETIME"] == timedelta(minutes=15)
    assert jwt["REFRESH_TOKEN_LIFETIME"] <= timedelta(days=1)
    assert jwt["ALGORITHM"] == "HS256"
    assert jwt["ISSUER"] == jwt["AUDIENCE"] == "django_apisec"
    assert jwt["AUTH_HEADER_TYPES"] == ("Bearer",)
    assert jwt["LEEWAY"] == 0
    assert jwt["SIGNING_KEY"] == JWT_KEY
    assert "VERIFYING_KEY" not in jwt


# One JWT stack: the token families replace simplejwt's rotation, blacklist and revocation, so
# harden() sets none of the keys only simplejwt's own views and JWTAuthentication read.
SIMPLEJWT_ONLY_KEYS = [
    "ROTATE_REFRESH_TOKENS",
    "BLACKLIST_AFTER_ROTATION",
    "CHECK_REVOKE_TOKEN",
    "UPDATE_LAST_LOGIN",
    "CHECK_USER_IS_ACTIVE",
    "JWK_URL",
    "AUTH_TOKEN_CLASSES",
]


@pytest.mark.parametrize("profile", ["development", "production"])
def test_no_simplejwt_stack_keys_and_no_blacklist_app(profile: str) -> None:
    namespace = hardened(profile, INSTALLED_APPS=[])
    assert set(SIMPLEJWT_ONLY_KEYS).isdisjoint(namespace["SIMPLE_JWT"])
    assert not {f"SIMPLE_JWT.{key}" for key in SIMPLEJWT_ONLY_KEYS} & set(GOVERNED_SETTINGS)
    assert not any("token_blacklist" in app for app in namespace["INSTALLED_APPS"])


def test_every_simple_jwt_default_is_named_by_the_session_layer() -> None:
    # A guard against defaults nobody reads: each key harden() sets appears in the modules that
    # build, verify and accept our tokens.
    from django_apisec.jwt import authentication, families, tokens

    sources = "".join(Path(m.__file__).read_text() for m in (tokens, authentication, families))
    for key in profiles.simple_jwt_defaults():
        assert key in sources, f"SIMPLE_JWT[{key!r}] is set by harden() but never read"


def test_a_projects_own_simplejwt_keys_are_kept() -> None:
    config = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}
    namespace = hardened(SIMPLE_JWT=config)
    assert namespace["SIMPLE_JWT"]["ROTATE_REFRESH_TOKENS"] is True
    assert namespace["SIMPLE_JWT"]["BLACKLIST_AFTER_ROTATION"] is True


def test_simple_jwt_merge_project_keys_win() -> None:
    namespace = hardened(
        SIMPLE_JWT={"ACCESS_TOKEN_LIFETIME": timedelta(minutes=5), "VERIFYING_KEY": "pub"}
    )
    jwt = namespace["SIMPLE_JWT"]
    assert jwt["ACCESS_TOKEN_LIFETIME"] == timedelta(minutes=5)
    assert jwt["LEEWAY"] == 0
    assert report(namespace)["SIMPLE_JWT.ACCESS_TOKEN_LIFETIME"] == PROJECT
    assert report(namespace)["SIMPLE_JWT.VERIFYING_KEY"] == PROJECT
    assert report(namespace)["SIMPLE_JWT.LEEWAY"] == PROFILE


# --- what the project set always wins -------------------------------------------------------

SCALARS = [
    name
    for name in GOVERNED_SETTINGS
    if "." not in name and name not in {"APISEC_PROFILE", "INSTALLED_APPS", "MIDDLEWARE"}
]
KEYED = [name for name in GOVERNED_SETTINGS if "." in name]


@pytest.mark.parametrize("profile", ["development", "production"])
@pytest.mark.parametrize("name", SCALARS)
def test_project_scalar_always_wins(profile: str, name: str) -> None:
    sentinel = object()
    namespace = hardened(profile, **{name: sentinel})
    assert namespace[name] is sentinel
    assert report(namespace)[name] == PROJECT


@pytest.mark.parametrize("profile", ["development", "production"])
@pytest.mark.parametrize("name", KEYED)
def test_project_key_always_wins(profile: str, name: str) -> None:
    container, key = name.split(".")
    sentinel = object()
    namespace = hardened(profile, **{container: {key: sentinel}})
    assert namespace[container][key] is sentinel
    assert report(namespace)[name] == PROJECT


@pytest.mark.parametrize("profile", ["development", "production"])
def test_project_values_win_even_when_falsy(profile: str) -> None:
    namespace = hardened(profile, DEBUG=False, SECURE_HSTS_SECONDS=0, X_FRAME_OPTIONS="SAMEORIGIN")
    assert namespace["DEBUG"] is False
    assert namespace["SECURE_HSTS_SECONDS"] == 0
    assert namespace["X_FRAME_OPTIONS"] == "SAMEORIGIN"


# --- apps and middleware --------------------------------------------------------------------


def test_apps_are_added_after_the_projects() -> None:
    namespace = hardened(INSTALLED_APPS=["django.contrib.auth", "myapp"])
    assert namespace["INSTALLED_APPS"] == [
        "django.contrib.auth",
        "myapp",
        "django_apisec",
        "rest_framework",
        "corsheaders",
    ]
    assert report(namespace)["INSTALLED_APPS"] == MERGED


def test_apps_already_installed_are_not_duplicated() -> None:
    apps = (
        "django_apisec.apps.ApisecConfig",
        "rest_framework",
        "corsheaders.apps.CorsHeadersAppConfig",
    )
    namespace = hardened(INSTALLED_APPS=apps)
    assert namespace["INSTALLED_APPS"] == list(apps)
    assert report(namespace)["INSTALLED_APPS"] == PROJECT


def test_apps_when_the_project_defines_none() -> None:
    namespace = hardened()
    assert "django_apisec" in namespace["INSTALLED_APPS"]
    assert report(namespace)["INSTALLED_APPS"] == PROFILE


def test_missing_middleware_uses_startproject_stack() -> None:
    namespace = hardened()
    assert namespace["MIDDLEWARE"] == [
        SECURITY_MIDDLEWARE,
        CORS_MIDDLEWARE,
        csp_middleware(),
        API_SECURITY_MIDDLEWARE,
        *DEFAULT_MIDDLEWARE[1:],
    ]
    assert report(namespace)["MIDDLEWARE"] == PROFILE


def test_misordered_cors_middleware_is_moved_up() -> None:
    project = [
        SECURITY_MIDDLEWARE,
        SESSIONS_MIDDLEWARE,
        COMMON_MIDDLEWARE,
        CSRF_MIDDLEWARE,
        AUTH_MIDDLEWARE,
        CORS_MIDDLEWARE,
        XFRAME_MIDDLEWARE,
    ]
    namespace = hardened(MIDDLEWARE=project)
    middleware = namespace["MIDDLEWARE"]
    assert middleware[:4] == [
        SECURITY_MIDDLEWARE,
        CORS_MIDDLEWARE,
        csp_middleware(),
        API_SECURITY_MIDDLEWARE,
    ]
    # CorsMiddleware must run before CommonMiddleware, which can answer with a redirect.
    assert middleware.index(CORS_MIDDLEWARE) < middleware.index(COMMON_MIDDLEWARE)
    assert middleware.count(CORS_MIDDLEWARE) == 1
    assert report(namespace)["MIDDLEWARE"] == MERGED


def test_missing_csrf_goes_before_authentication() -> None:
    namespace = hardened(MIDDLEWARE=[SESSIONS_MIDDLEWARE, AUTH_MIDDLEWARE])
    middleware = namespace["MIDDLEWARE"]
    assert middleware[4:] == [
        SESSIONS_MIDDLEWARE,
        CSRF_MIDDLEWARE,
        AUTH_MIDDLEWARE,
        XFRAME_MIDDLEWARE,
    ]


def test_missing_csrf_and_xframe_are_appended_without_authentication() -> None:
    namespace = hardened(MIDDLEWARE=(COMMON_MIDDLEWARE,))
    assert namespace["MIDDLEWARE"][4:] == [COMMON_MIDDLEWARE, CSRF_MIDDLEWARE, XFRAME_MIDDLEWARE]


def test_empty_middleware_gets_the_security_stack() -> None:
    namespace = hardened(MIDDLEWARE=[])
    assert namespace["MIDDLEWARE"] == [
        SECURITY_MIDDLEWARE,
        CORS_MIDDLEWARE,
        csp_middleware(),
        API_SECURITY_MIDDLEWARE,
        CSRF_MIDDLEWARE,
        XFRAME_MIDDLEWARE,
    ]
    assert report(namespace)["MIDDLEWARE"] == MERGED


def test_ordered_middleware_is_reported_as_the_projects() -> None:
    ordered = hardened()["MIDDLEWARE"]
    namespace = hardened(MIDDLEWARE=list(ordered))
    assert namespace["MIDDLEWARE"] == ordered
    assert report(namespace)["MIDDLEWARE"] == PROJECT


@pytest.mark.parametrize(
    ("version", "expected", "other"),
    [
        ((5, 2, 0, "final", 0), APISEC_CSP_MIDDLEWARE, DJANGO_CSP_MIDDLEWARE),
        ((6, 0, 0, "final", 0), DJANGO_CSP_MIDDLEWARE, APISEC_CSP_MIDDLEWARE),
        ((6, 1, 0, "final", 0), DJANGO_CSP_MIDDLEWARE, APISEC_CSP_MIDDLEWARE),
    ],
)
def test_csp_middleware_matches_the_django_version(
    monkeypatch: pytest.MonkeyPatch, version: tuple[Any, ...], expected: str, other: str
) -> None:
    monkeypatch.setattr(django, "VERSION", version)
    assert csp_middleware() == expected
    # A project that upgraded (or downgraded) Django keeps exactly one, working CSP middleware.
    namespace = hardened(MIDDLEWARE=[SECURITY_MIDDLEWARE, other, COMMON_MIDDLEWARE])
    middleware = namespace["MIDDLEWARE"]
    assert middleware[2] == expected
    assert other not in middleware
    assert middleware.count(expected) == 1


def test_csp_middleware_of_this_django() -> None:
    expected = DJANGO_CSP_MIDDLEWARE if django.VERSION >= (6, 0) else APISEC_CSP_MIDDLEWARE
    assert hardened()["MIDDLEWARE"][2] == expected


# --- profile resolution ---------------------------------------------------------------------


def test_profile_argument_wins() -> None:
    namespace = hardened(
        "development",
        environ={"APISEC_PROFILE": "production"},
        APISEC_PROFILE="production",
    )
    assert namespace["APISEC_PROFILE"] == "development"
    assert namespace["DEBUG"] is True
    assert report(namespace)["APISEC_PROFILE"] == PROJECT


def test_profile_from_settings_beats_environment() -> None:
    namespace = hardened(
        None, environ={"APISEC_PROFILE": "production"}, APISEC_PROFILE="development"
    )
    assert namespace["APISEC_PROFILE"] == "development"
    assert report(namespace)["APISEC_PROFILE"] == PROJECT


def test_profile_from_environment() -> None:
    namespace = hardened(None, environ={"APISEC_PROFILE": "development"})
    assert namespace["APISEC_PROFILE"] == "development"
    assert namespace["DEBUG"] is True
    assert report(namespace)["APISEC_PROFILE"] == ENVIRONMENT


def test_profile_defaults_to_production() -> None:
    namespace = hardened(None)
    assert namespace["APISEC_PROFILE"] == "production"
    assert namespace["DEBUG"] is False
    assert report(namespace)["APISEC_PROFILE"] == PROFILE


def test_profile_from_os_environ_when_no_environ_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APISEC_PROFILE", "development")
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    namespace: dict[str, Any] = {}
    harden(namespace)
    assert namespace["APISEC_PROFILE"] == "development"


@pytest.mark.parametrize(
    ("profile", "project", "environ"),
    [
        ("staging", {}, {}),
        (None, {"APISEC_PROFILE": "Production"}, {}),
        (None, {}, {"APISEC_PROFILE": "dev"}),
        (None, {"APISEC_PROFILE": 1}, {}),
    ],
)
def test_invalid_profile_is_refused(
    profile: str | None, project: dict[str, Any], environ: dict[str, str]
) -> None:
    with pytest.raises(
        ImproperlyConfigured, match="APISEC_PROFILE must be one of development, production"
    ):
        hardened(profile, environ=environ, **project)


# --- secrets --------------------------------------------------------------------------------


def test_production_refuses_to_start_without_secret_key() -> None:
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        hardened("production", environ={})


@pytest.mark.parametrize("empty", ["", None])
def test_production_treats_an_empty_secret_key_as_missing(empty: str | None) -> None:
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        hardened("production", environ={"APISEC_JWT_SIGNING_KEY": JWT_KEY}, SECRET_KEY=empty)


def test_production_refuses_to_start_without_jwt_signing_key() -> None:
    with pytest.raises(ImproperlyConfigured, match="APISEC_JWT_SIGNING_KEY"):
        hardened("production", environ={"DJANGO_SECRET_KEY": SECRET})


def test_production_treats_an_empty_jwt_signing_key_as_missing() -> None:
    # simplejwt would quietly sign with SECRET_KEY instead.
    with pytest.raises(ImproperlyConfigured, match="APISEC_JWT_SIGNING_KEY"):
        hardened(
            "production", environ={"DJANGO_SECRET_KEY": SECRET}, SIMPLE_JWT={"SIGNING_KEY": ""}
        )


def test_production_reads_secrets_from_the_environment() -> None:
    namespace = hardened("production", environ=PRODUCTION_ENV)
    assert namespace["SECRET_KEY"] == SECRET
    assert namespace["SIMPLE_JWT"]["SIGNING_KEY"] == JWT_KEY
    assert report(namespace)["SECRET_KEY"] == ENVIRONMENT
    assert report(namespace)["SIMPLE_JWT.SIGNING_KEY"] == ENVIRONMENT


def test_project_secrets_win_over_the_environment() -> None:
    namespace = hardened(
        "production",
        environ=PRODUCTION_ENV,
        SECRET_KEY="project-secret",
        SIMPLE_JWT={"SIGNING_KEY": "project-jwt"},
    )
    assert namespace["SECRET_KEY"] == "project-secret"
    assert namespace["SIMPLE_JWT"]["SIGNING_KEY"] == "project-jwt"
    assert report(namespace)["SECRET_KEY"] == PROJECT
    assert report(namespace)["SIMPLE_JWT.SIGNING_KEY"] == PROJECT


def test_production_with_project_secrets_needs_no_environment() -> None:
    namespace = hardened(
        "production", environ={}, SECRET_KEY="project-secret", SIMPLE_JWT={"SIGNING_KEY": "k"}
    )
    assert namespace["SECRET_KEY"] == "project-secret"


def test_development_generates_a_secret_key_per_process() -> None:
    first = hardened("development", environ={})
    second = hardened("development", environ={})
    assert len(first["SECRET_KEY"]) >= 50
    assert first["SECRET_KEY"] != second["SECRET_KEY"]
    assert report(first)["SECRET_KEY"] == PROFILE


def test_development_reads_the_secret_key_from_the_environment() -> None:
    namespace = hardened("development", environ={"DJANGO_SECRET_KEY": SECRET})
    assert namespace["SECRET_KEY"] == SECRET
    assert report(namespace)["SECRET_KEY"] == ENVIRONMENT


def test_development_derives_the_jwt_key_from_the_secret_key() -> None:
    first = hardened("development", environ={}, SECRET_KEY=SECRET)
    again = hardened("development", environ={}, SECRET_KEY=SECRET)
    other = hardened("development", environ={}, SECRET_KEY=SECRET + "x")
    key = first["SIMPLE_JWT"]["SIGNING_KEY"]
    assert key != SECRET
    assert SECRET not in key
    assert len(key) >= 64
    assert key == again["SIMPLE_JWT"]["SIGNING_KEY"]
    assert key != other["SIMPLE_JWT"]["SIGNING_KEY"]
    assert key == development_jwt_signing_key(SECRET)
    assert report(first)["SIMPLE_JWT.SIGNING_KEY"] == PROFILE


def test_development_jwt_key_follows_an_environment_secret_key() -> None:
    namespace = hardened("development", environ={"DJANGO_SECRET_KEY": SECRET})
    assert namespace["SIMPLE_JWT"]["SIGNING_KEY"] == development_jwt_signing_key(SECRET)


def test_development_jwt_key_from_the_environment() -> None:
    namespace = hardened("development", environ={"APISEC_JWT_SIGNING_KEY": JWT_KEY})
    assert namespace["SIMPLE_JWT"]["SIGNING_KEY"] == JWT_KEY
    assert report(namespace)["SIMPLE_JWT.SIGNING_KEY"] == ENVIRONMENT


def test_development_jwt_key_from_a_bytes_secret_key() -> None:
    assert development_jwt_signing_key(SECRET.encode()) == development_jwt_signing_key(SECRET)


def test_error_messages_say_how_to_fix() -> None:
    with pytest.raises(ImproperlyConfigured) as secret:
        hardened("production", environ={})
    assert "secrets.token_urlsafe" in str(secret.value)
    with pytest.raises(ImproperlyConfigured) as jwt:
        hardened("production", environ={"DJANGO_SECRET_KEY": SECRET})
    assert "distinct from DJANGO_SECRET_KEY" in str(jwt.value)


# --- the report and the governed list -------------------------------------------------------


def test_report_names_every_source() -> None:
    namespace = hardened(
        None,
        environ={"APISEC_PROFILE": "production", **PRODUCTION_ENV},
        DEBUG=False,
        MIDDLEWARE=[SECURITY_MIDDLEWARE],
    )
    sources = report(namespace)
    assert sources["APISEC_PROFILE"] == ENVIRONMENT
    assert sources["DEBUG"] == PROJECT
    assert sources["SECRET_KEY"] == ENVIRONMENT
    assert sources["SIMPLE_JWT.SIGNING_KEY"] == ENVIRONMENT
    assert sources["MIDDLEWARE"] == MERGED
    assert sources["SECURE_HSTS_SECONDS"] == PROFILE
    assert set(sources.values()) == {PROJECT, PROFILE, ENVIRONMENT, MERGED}


@pytest.mark.parametrize("profile", ["development", "production"])
def test_report_covers_exactly_the_governed_settings(profile: str) -> None:
    namespace = hardened(
        profile, INSTALLED_APPS=["drf_spectacular"], APISEC_TRUSTED_PROXIES="10.0.0.1"
    )
    expected = set(GOVERNED_SETTINGS) - {"SIMPLE_JWT.VERIFYING_KEY"}
    if profile == "production":
        expected.discard("ALLOWED_HOSTS")
    assert set(report(namespace)) == expected


@pytest.mark.parametrize("production", [True, False])
def test_every_default_is_governed(production: bool) -> None:
    # harden() only applies defaults named in GOVERNED_SETTINGS: a default missing from the
    # list would silently never be applied.
    namespace = {"INSTALLED_APPS": ["drf_spectacular"], "APISEC_TRUSTED_PROXIES": ["10.0.0.1"]}
    names = set(profiles.scalar_defaults(namespace, production))
    names |= {
        f"REST_FRAMEWORK.{k}" for k in profiles.rest_framework_defaults(namespace, production)
    }
    names |= {f"SIMPLE_JWT.{k}" for k in profiles.simple_jwt_defaults()}
    assert names <= set(GOVERNED_SETTINGS)


def test_governed_list_has_no_duplicates_and_holds_the_secrets() -> None:
    assert len(GOVERNED_SETTINGS) == len(set(GOVERNED_SETTINGS))
    assert set(SECRET_SETTINGS) <= set(GOVERNED_SETTINGS)


def test_testproject_production_settings_are_hardened(production_settings: dict[str, Any]) -> None:
    assert production_settings["APISEC_PROFILE"] == "production"
    assert production_settings["DEBUG"] is False
    assert production_settings["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert production_settings["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert production_settings["SECRET_KEY"] != production_settings["SIMPLE_JWT"]["SIGNING_KEY"]
    # Read from DJANGO_SECRET_KEY by settings.py itself or by harden().
    assert production_settings["APISEC_HARDENING_REPORT"]["SECRET_KEY"] in {PROJECT, ENVIRONMENT}
