"""The admin of API keys: list, search, revoke; the secret is never stored, so never shown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib import admin, messages

from django_apisec.apikeys.keys import revoke_key
from django_apisec.models import APIKey

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest


class APIKeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Keys are created by their owners (API, ``apisec_keys``); the admin inspects and revokes."""

    list_display = ("name", "prefix", "user", "created_at", "expires_at", "last_used_at", "revoked")
    list_filter = ("revoked",)
    search_fields = ("name", "prefix")
    readonly_fields = (
        "id",
        "user",
        "name",
        "prefix",
        "scopes",
        "allowed_ips",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked",
        "revoked_at",
    )
    exclude = ("hashed_key",)
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        """A key is shown once to whoever creates it: an admin form has nowhere to show it."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Keys are read-only here; revoking is the action."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Revoke instead: a deleted row leaves no trace of what the key was."""
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        """Revoking needs the change permission on API keys."""
        return request.user.has_perm("django_apisec.change_apikey")

    @admin.action(description="Revoke the selected API keys", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[APIKey]) -> None:
        """Revoke each selected key (a key already revoked is left as it is)."""
        count = sum(revoke_key(key, by="admin", request=request) for key in queryset)
        self.message_user(request, f"{count} API key(s) revoked.", messages.SUCCESS)


# Registered where the admin is installed (Django imports this through django_apisec.admin).
if apps.is_installed("django.contrib.admin"):  # pragma: no branch - the test settings have it
    admin.site.register(APIKey, APIKeyAdmin)
