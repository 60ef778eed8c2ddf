"""The testproject's production settings, with what the abuse integration tests need on top.

* ``DEFAULT_THROTTLE_CLASSES``: django_apisec's throttles (``APISEC_TEST_THROTTLES=apisec``, the
  default), DRF's own (``drf``) or none (``none``), so the same deployment measures both.
* ``PASSWORD_HASHERS``: Argon2 that counts each hash in Redis (``abuse_hashers``).

Everything else is exactly ``testproject.settings`` under ``APISEC_PROFILE=production``.
"""

import os

from testproject.settings import *  # noqa: F403
from testproject.settings import PASSWORD_HASHERS, REST_FRAMEWORK

THROTTLES = {
    "apisec": [
        "django_apisec.abuse.throttling.AnonRateThrottle",
        "django_apisec.abuse.throttling.UserRateThrottle",
    ],
    "drf": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "none": [],
}

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_CLASSES": THROTTLES[os.environ.get("APISEC_TEST_THROTTLES", "apisec")],
}
PASSWORD_HASHERS = [
    "tests.integration.abuse_hashers.CountingArgon2PasswordHasher",
    *(name for name in PASSWORD_HASHERS if not name.endswith(".Argon2PasswordHasher")),
]

# The benchmarks add a plain view behind django-ratelimit (bench/ratelimit_urls.py).
ROOT_URLCONF = os.environ.get("APISEC_TEST_URLCONF", "testproject.urls")
