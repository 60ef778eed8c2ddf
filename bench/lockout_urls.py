"""The admin only: the login every lockout contender protects (bench/lockout.py)."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
