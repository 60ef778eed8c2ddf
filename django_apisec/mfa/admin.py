"""The admin of second factors: inspect and remove; never a secret, a key or a code.

TOTP secrets (ciphertexts), recovery-code hashes and passkeys' public keys and credential ids are
left out of every page. Nothing is added or edited here: a factor is enrolled by its owner, who
alone can see the secret. Removing a TOTP device or a passkey (a user who lost it) is allowed
with the delete permission; the user then logs in with what remains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib import admin

from django_apisec.models import RecoveryCode, TOTPDevice, WebAuthnCredential

if TYPE_CHECKING:
    from django.http import HttpRequest


class _ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """No add, no edit: factors are enrolled by their owners."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        """A secret is shown once to its owner: an admin form has nowhere to show it."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Read-only (the detail page stays viewable with the view permission)."""
        return False


class TOTPDeviceAdmin(_ReadOnlyAdmin):
    """Who has TOTP, since when, confirmed or not; the secret never leaves the database."""

    list_display = ("user", "created_at", "confirmed_at")
    list_filter = ("confirmed_at",)
    fields = ("user", "created_at", "confirmed_at")
    readonly_fields = fields


class RecoveryCodeAdmin(_ReadOnlyAdmin):
    """Which codes a user has left; never the codes (only their keyed hashes are stored)."""

    list_display = ("user", "created_at", "used_at")
    list_filter = ("used_at",)
    fields = ("user", "created_at", "used_at")
    readonly_fields = fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Codes go with the user's last factor or a regeneration, never one by one."""
        return False


class WebAuthnCredentialAdmin(_ReadOnlyAdmin):
    """Passkeys: name, owner, use and counter; never the public key nor the credential id."""

    list_display = ("name", "user", "created_at", "last_used_at", "sign_count", "backed_up")
    list_filter = ("backed_up",)
    search_fields = ("name",)
    fields = ("id", "name", "user", "created_at", "last_used_at", "sign_count", "backed_up")
    readonly_fields = fields


# Registered where the admin is installed (Django imports this through django_apisec.admin).
if apps.is_installed("django.contrib.admin"):  # pragma: no branch - the test settings have it
    admin.site.register(TOTPDevice, TOTPDeviceAdmin)
    admin.site.register(RecoveryCode, RecoveryCodeAdmin)
    admin.site.register(WebAuthnCredential, WebAuthnCredentialAdmin)
