"""The testproject's production settings with the throttles bench/throttle_admission.py compares.

``BENCH_THROTTLES``: django_apisec's throttles (``apisec``), DRF's own (``drf``) or none
(``none``, for django-ratelimit's decorated view in bench/ratelimit_urls.py).
"""

import os

from testproject.settings import *  # noqa: F403
from testproject.settings import REST_FRAMEWORK

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
    "DEFAULT_THROTTLE_CLASSES": THROTTLES[os.environ["BENCH_THROTTLES"]],
}
ROOT_URLCONF = "bench.ratelimit_urls"
