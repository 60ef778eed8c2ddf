"""Settings for the test suite: the testproject's app, hardened with the development profile."""

from django_apisec.hardening import harden

SECRET_KEY = "tests-only-secret-key-" + "k" * 48
SIMPLE_JWT = {"SIGNING_KEY": "tests-only-jwt-signing-key-" + "j" * 48}
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    # Not used by django_apisec (its token families replace it); installed so that the checks
    # can be tested on a project that mounts simplejwt's own views (tests/simplejwt_urls.py).
    # An app cannot be added with override_settings: its models are abstract when not installed.
    "rest_framework_simplejwt.token_blacklist",
    "corsheaders",
    "drf_spectacular",
    "django_apisec",
    "django_apisec.monitoring",
    "testproject.api",
    # The views audit's second sample project (tests/test_audit_shop.py).
    "tests.shop",
]
ROOT_URLCONF = "testproject.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
# Argon2 costs ~150 ms a hash; tests that are about hashing override this.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "static/"
# The shop's catalogue has a created_by user but belongs to nobody (tests/shop/models.py).
APISEC_SHARED_MODELS = ["shop.Product"]
# As in the testproject: API keys next to JWT sessions. DRF copies these two lists into its view
# classes at import, so override_settings cannot add them later.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "django_apisec.jwt.authentication.JWTSessionAuthentication",
        "django_apisec.apikeys.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "django_apisec.abuse.throttling.AnonRateThrottle",
        "django_apisec.abuse.throttling.UserRateThrottle",
        "django_apisec.apikeys.throttling.ApiKeyRateThrottle",
    ],
    # harden() adds the other rates (it merges DEFAULT_THROTTLE_RATES one level deeper).
    "DEFAULT_THROTTLE_RATES": {"api_key": "600/min"},
}
APISEC_API_KEY_SCOPES = [
    f"{r}:{a}" for r in ("notes", "projects", "tasks") for a in ("read", "write")
]

harden(globals(), profile="development")
