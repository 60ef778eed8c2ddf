"""Admin registrations (Django imports this module of every installed app)."""

from __future__ import annotations

from django_apisec.apikeys import admin as apikeys_admin
from django_apisec.mfa import admin as mfa_admin

__all__ = ["apikeys_admin", "mfa_admin"]
