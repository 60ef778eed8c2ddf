"""A URLconf with an include whose module is missing (Django's own URL check reports it)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLResolver, path
from django.urls.resolvers import RoutePattern

urlpatterns = [
    URLResolver(RoutePattern("broken/"), "tests.no_such_urlconf"),
    path("admin/", admin.site.urls),
]
