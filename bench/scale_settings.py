"""The testproject's settings with the generated URLconf of bench/scale_urls.py."""

from testproject.settings import *  # noqa: F403

ROOT_URLCONF = "bench.scale_urls"
