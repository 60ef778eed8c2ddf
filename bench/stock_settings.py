"""A stock DRF + simplejwt project serving the testproject's notes: the contender of
``bench/request_overhead.py``.

What a careful team writes without django_apisec: startproject's middleware, simplejwt's
``JWTAuthentication``, ``IsAuthenticated``, DRF's own ``AnonRateThrottle`` / ``UserRateThrottle``
on Redis (Django's ``RedisCache``), JSON only, page-number pagination of 50, persistent database
connections (``conn_max_age``, as the testproject has). It reads the same environment as the
testproject (``DATABASE_URL``, ``REDIS_URL``, ``DJANGO_SECRET_KEY``) so it serves the same
PostgreSQL database, and uses the same Redis. The tables are the testproject's (migrated by it);
this project never migrates.
"""

import os

import dj_database_url

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "testproject.api",
]

# startproject's stack (less staticfiles and the admin, which the benchmark never reaches).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = os.environ.get("BENCH_URLCONF", "bench.stock_urls")
TEMPLATES: list = []

DATABASES = {
    "default": dj_database_url.parse(
        os.environ["DATABASE_URL"], conn_max_age=600, conn_health_checks=True
    )
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }
}

# The testproject stores Argon2 hashes; verify them with the same hasher (no rehash on login).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("APISEC_RATE_ANON", "120/min"),
        "user": os.environ.get("APISEC_RATE_USER", "1200/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
# simplejwt's defaults (HS256, signed with SECRET_KEY, 5-minute access tokens).

USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
