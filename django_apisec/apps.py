"""Application configuration: registers the ``apisec.*`` system checks and the receivers."""

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

        self.connect_session_receivers()

    def connect_session_receivers(self) -> None:
        """A password change or deactivation ends the user's sessions; keys follow settings."""
        from django.contrib.auth import get_user_model  # noqa: PLC0415
        from django.db.models.signals import post_save  # noqa: PLC0415
        from django.test.signals import setting_changed  # noqa: PLC0415

        from django_apisec.jwt.revocation import revoke_on_credential_change  # noqa: PLC0415
        from django_apisec.jwt.tokens import clear_token_backend  # noqa: PLC0415

        post_save.connect(
            revoke_on_credential_change,
            sender=get_user_model(),
            dispatch_uid="django_apisec.jwt.revocation.revoke_on_credential_change",
        )
        setting_changed.connect(
            clear_token_backend, dispatch_uid="django_apisec.jwt.tokens.clear_token_backend"
        )
