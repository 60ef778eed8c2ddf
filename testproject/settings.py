"""Settings of the reference deployment, configured from the environment (12-factor).

Every variable is optional in development. In production (``APISEC_PROFILE=production``)
``DJANGO_SECRET_KEY`` and ``APISEC_JWT_SIGNING_KEY`` are required (``harden()`` refuses to start
without them) and ``REDIS_URL`` / ``DATABASE_URL`` must point at Redis and PostgreSQL for
``check --deploy`` to pass. See docs/testproject.rst.
"""

import json
import os
import secrets
from pathlib import Path

import dj_database_url

from django_apisec.hardening import harden

BASE_DIR = Path(__file__).resolve().parent
PROFILE = os.environ.get("APISEC_PROFILE", "development")


def _list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _int(name, default):
    """An integer from the environment; a value that is not one is passed on as text, so that
    ``manage.py check`` reports it (apisec.E6xx) instead of settings.py crashing on import."""
    value = os.environ.get(name, str(default)).strip()
    return int(value) if value.lstrip("-").isdigit() else value


def _development_secret(name):
    """A random secret generated once per checkout, kept out of git; development only."""
    path = BASE_DIR / ".dev-secrets.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    if name not in stored:
        stored[name] = secrets.token_urlsafe(64)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(stored))
        tmp.chmod(0o600)
        tmp.replace(path)
    return stored[name]


# harden() reads DJANGO_SECRET_KEY and APISEC_JWT_SIGNING_KEY from the environment and refuses
# to start in production without them; development falls back to per-checkout secrets.
if PROFILE == "development" and not os.environ.get("DJANGO_SECRET_KEY"):
    SECRET_KEY = _development_secret("SECRET_KEY")

ALLOWED_HOSTS = _list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "corsheaders",
    "drf_spectacular",
    "django_apisec",
    "testproject.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "testproject.urls"
WSGI_APPLICATION = "testproject.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=600,
        conn_health_checks=True,
    )
}

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

APISEC_TRUSTED_PROXIES = _list("APISEC_TRUSTED_PROXIES")
CORS_ALLOWED_ORIGINS = _list("CORS_ALLOWED_ORIGINS")

REST_FRAMEWORK = {
    # Machine clients send "Authorization: Api-Key <key>" (django_apisec.apikeys).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "django_apisec.jwt.authentication.JWTSessionAuthentication",
        "django_apisec.apikeys.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "django_apisec.abuse.throttling.AnonRateThrottle",
        "django_apisec.abuse.throttling.UserRateThrottle",
        "django_apisec.apikeys.throttling.ApiKeyRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("APISEC_RATE_ANON", "120/min"),
        "user": os.environ.get("APISEC_RATE_USER", "1200/min"),
        "login_ip": os.environ.get("APISEC_RATE_LOGIN_IP", "20/min"),
        "login_account": os.environ.get("APISEC_RATE_LOGIN_ACCOUNT", "10/min"),
        "api_key": os.environ.get("APISEC_RATE_API_KEY", "600/min"),
    },
}

# Failed logins of one account before it locks (django_apisec.abuse.lockout).
APISEC_LOCKOUT_THRESHOLD = _int("APISEC_LOCKOUT_THRESHOLD", 5)

# The scopes an API key may be given (the views declare which one each method needs).
APISEC_API_KEY_SCOPES = [
    f"{resource}:{access}"
    for resource in ("notes", "projects", "tasks")
    for access in ("read", "write")
]

SPECTACULAR_SETTINGS = {
    "TITLE": "django_apisec testproject",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Views-audit findings accepted on purpose, each with its reason (apisec_audit lists them).
APISEC_AUDIT_SUPPRESSIONS = [
    {
        "id": "apisec.W515",
        "target": "testproject.api.views.SchemaView",
        "reason": "The OpenAPI schema is this demo API's published contract (GET /api/schema/).",
    },
    {
        "id": "apisec.W516",
        "target": "admin/",
        "reason": "The demo's admin login is throttled per client and behind the account "
        "lockout; a real deployment also allowlists /admin/ at the reverse proxy.",
    },
]

if PROFILE == "development" and not os.environ.get("APISEC_JWT_SIGNING_KEY"):
    SIMPLE_JWT = {"SIGNING_KEY": _development_secret("APISEC_JWT_SIGNING_KEY")}

harden(globals(), profile=PROFILE)
