"""Token families: one row per login session, holding token ids only, never tokens."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

__all__ = ["TokenFamily"]


class TokenFamily(models.Model):
    """A login session: the chain of refresh tokens issued from one login.

    Only the ``jti`` of the one valid refresh token (and of its predecessor, to tell a late
    duplicate from a replay) is stored. ``idle_expires_at`` never exceeds
    ``absolute_expires_at`` and is set to the revocation time on revocation, so a single indexed
    column tells which rows can be pruned.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed by the (user, revoked_at) index below, whose first column is the user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    current_jti = models.CharField(max_length=64)
    previous_jti = models.CharField(max_length=64, blank=True, default="")
    rotated_at = models.DateTimeField(null=True, blank=True)
    generation = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    idle_expires_at = models.DateTimeField()
    absolute_expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        verbose_name = "token family"
        verbose_name_plural = "token families"
        indexes = [
            models.Index(fields=["user", "revoked_at"], name="apisec_family_user_revoked"),
            models.Index(fields=["idle_expires_at"], name="apisec_family_expiry"),
        ]

    def __str__(self) -> str:
        """The family id, which is all an admin list needs."""
        return str(self.id)


class APIKey(models.Model):
    """A key a machine client sends as ``Authorization: Api-Key <prefix>.<secret>``.

    Only the public ``prefix`` and a SHA-512 hash of the whole key are stored: the key itself is
    shown once, when it is created. A request authenticated by a key acts as ``user`` within
    ``scopes``; ``allowed_ips`` (CIDRs, empty: any address) bind it to client networks.
    ``last_used_at`` is written at most once a minute per key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed by the (user, created_at) index below, whose first column is the user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(max_length=150, editable=False)
    scopes = models.JSONField(default=list, blank=True)
    allowed_ips = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API key"
        verbose_name_plural = "API keys"
        indexes = [models.Index(fields=["user", "created_at"], name="apisec_apikey_user_created")]

    def __str__(self) -> str:
        """The name and the public prefix; never anything secret."""
        return f"{self.name} ({self.prefix})"
