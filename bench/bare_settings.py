"""The ceiling's settings: the stock project's database and apps, no middleware, plain views."""

from bench.stock_settings import *  # noqa: F403

INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "testproject.api"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.bare_urls"
