"""Application configuration: registers the ``apisec.*`` system checks."""

from __future__ import annotations

from django.apps import AppConfig


class ApisecConfig(AppConfig):
    """Django app config for django_apisec."""

    name = "django_apisec"
    verbose_name = "API security"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register the checks; importing the topic modules registers them with Django."""
        from django_apisec import checks  # noqa: F401, PLC0415
