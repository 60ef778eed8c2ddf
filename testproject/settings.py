"""Settings of the reference deployment, configured from the environment (12-factor).

Every variable is optional in development. In production (``APISEC_PROFILE=production``)
``DJANGO_SECRET_KEY`` and ``APISEC_JWT_SIGNING_KEY`` are required (``harden()`` refuses to start
without them), exactly one Redis topology must be set (``REDIS_URL``, ``REDIS_SENTINELS`` with
``REDIS_SENTINEL_SERVICE``, or ``REDIS_CLUSTER_NODES``) and ``DATABASE_URL`` must point at
PostgreSQL for ``check --deploy`` to pass. See docs/testproject.rst.
"""

import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

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
    "django_apisec.monitoring",
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

# Redis: one server (REDIS_URL), Sentinel (REDIS_SENTINELS + REDIS_SENTINEL_SERVICE) or Cluster
# (REDIS_CLUSTER_NODES); exactly one in production. docs/deployment.rst describes each topology.
_redis = {
    "REDIS_URL": os.environ.get("REDIS_URL", "").strip(),
    "REDIS_SENTINELS": _list("REDIS_SENTINELS"),
    "REDIS_CLUSTER_NODES": _list("REDIS_CLUSTER_NODES"),
}
_chosen = [name for name, value in _redis.items() if value]
if len(_chosen) > 1 or (PROFILE == "production" and not _chosen):
    raise ImproperlyConfigured(
        "Set exactly one of REDIS_URL, REDIS_SENTINELS (with REDIS_SENTINEL_SERVICE) or "
        f"REDIS_CLUSTER_NODES{' in production' if not _chosen else ''}; "
        f"set: {', '.join(_chosen) or 'none'}."
    )
# django-redis waits for the kernel by default; a throttle decision must not (apisec.W417).
_redis_timeouts = {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}

if _redis["REDIS_SENTINELS"]:
    _sentinel_service = os.environ.get("REDIS_SENTINEL_SERVICE", "").strip()
    if not _sentinel_service:
        raise ImproperlyConfigured(
            "REDIS_SENTINELS is set: set REDIS_SENTINEL_SERVICE to the primary's name too."
        )
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://{_sentinel_service}/0",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.SentinelClient",
                "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
                "SENTINELS": [
                    (host, int(port))
                    for host, _, port in (a.rpartition(":") for a in _redis["REDIS_SENTINELS"])
                ],
                "SENTINEL_KWARGS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
                **_redis_timeouts,
            },
        }
    }
elif _redis["REDIS_CLUSTER_NODES"]:
    CACHES = {
        "default": {
            "BACKEND": "django_apisec.store.cache.RedisClusterCache",
            "LOCATION": [f"redis://{node}" for node in _redis["REDIS_CLUSTER_NODES"]],
        }
    }
elif _redis["REDIS_URL"]:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

APISEC_TRUSTED_PROXIES = _list("APISEC_TRUSTED_PROXIES")
# Who may scrape /api/metrics/ without logging in as staff (docs/monitoring.rst).
APISEC_METRICS_ALLOWED_NETWORKS = _list("APISEC_METRICS_ALLOWED_NETWORKS")
# While a credential-stuffing wave is detected, all logins share this rate for 15 minutes.
APISEC_ATTACK_TIGHTENING = {
    "rate": os.environ.get("APISEC_ATTACK_LOGIN_RATE", "60/min"),
    "duration": _int("APISEC_ATTACK_TIGHTENING_SECONDS", 900),
}
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
# Seconds a login or a step-up (POST /api/auth/reauth/) allows password change and MFA changes.
APISEC_REAUTH_MAX_AGE = _int("APISEC_REAUTH_MAX_AGE", 300)


def _passkey_rp_id():
    """The passkeys' relying party: APISEC_WEBAUTHN_RP_ID, else the first host name served."""
    configured = os.environ.get("APISEC_WEBAUTHN_RP_ID", "").strip()
    if configured:
        return configured
    for host in ALLOWED_HOSTS:
        name = host.lstrip(".").lower()
        if any(c.isalpha() for c in name) and not any(c in name for c in ":[]*"):
            return name
    return None


# Passkeys (WebAuthn): the relying-party id and the origins of the pages that use them
# (default: https://<relying-party id>); docs/mfa.rst.
APISEC_WEBAUTHN_RP_ID = _passkey_rp_id()
APISEC_WEBAUTHN_RP_NAME = "django_apisec testproject"
APISEC_WEBAUTHN_ORIGINS = _list("APISEC_WEBAUTHN_ORIGINS")

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
