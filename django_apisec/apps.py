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
        from django.db.models.signals import m2m_changed, post_delete, post_save  # noqa: PLC0415
        from django.test.signals import setting_changed  # noqa: PLC0415

        from django_apisec.jwt.revocation import revoke_on_credential_change  # noqa: PLC0415
        from django_apisec.jwt.tokens import clear_token_backend  # noqa: PLC0415
        from django_apisec.jwt.users import (  # noqa: PLC0415
            forget_all_users,
            forget_users_on_change,
            forget_users_on_relation_change,
        )

        post_save.connect(
            revoke_on_credential_change,
            sender=get_user_model(),
            dispatch_uid="django_apisec.jwt.revocation.revoke_on_credential_change",
        )
        # Cached users (django_apisec.jwt.users) are loaded again after any change.
        user_model = get_user_model()
        for name, signal in (("post_save", post_save), ("post_delete", post_delete)):
            signal.connect(
                forget_users_on_change,
                sender=user_model,
                dispatch_uid=f"django_apisec.jwt.users.forget_users_on_change.{name}",
            )
        for relation in ("groups", "user_permissions"):
            through = getattr(getattr(user_model, relation, None), "through", None)
            if through is not None:
                m2m_changed.connect(
                    forget_users_on_relation_change,
                    sender=through,
                    dispatch_uid=f"django_apisec.jwt.users.forget_users_on_relation_change.{relation}",
                )
        setting_changed.connect(
            forget_all_users, dispatch_uid="django_apisec.jwt.users.forget_all_users"
        )
        setting_changed.connect(
            clear_token_backend, dispatch_uid="django_apisec.jwt.tokens.clear_token_backend"
        )
