"""Login sessions, API keys and second factors: ids, hashes and ciphertexts, never secrets."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

__all__ = [
    "APIKey",
    "MFAChallenge",
    "RecoveryCode",
    "TOTPDevice",
    "TokenFamily",
    "WebAuthnChallenge",
    "WebAuthnCredential",
    "has_second_factor",
]


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
    #: When the user last proved a factor in this session (login, step-up); refreshes keep it.
    auth_time = models.DateTimeField(null=True, blank=True)
    #: Written at refresh (not per request): when the session was last used to get tokens.
    last_used_at = models.DateTimeField(null=True, blank=True)
    #: A coarse description of the client that logged in (browser family, client network).
    client = models.CharField(max_length=100, blank=True, default="")

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


class TOTPDeviceManager(models.Manager["TOTPDevice"]):
    """Adds the one question lower layers ask about second factors."""

    def confirmed_for(self, user: Any) -> bool:
        """Whether ``user`` has a confirmed TOTP device, i.e. a login of theirs needs a second
        step (the lockout backend asks this without depending on :mod:`django_apisec.mfa`)."""
        return self.filter(user=user, confirmed_at__isnull=False).exists()


class TOTPDevice(models.Model):
    """A user's TOTP authenticator (RFC 6238): at most one per user.

    ``encrypted_secret`` is the base32 secret encrypted with a key derived from ``SECRET_KEY``
    (:mod:`django_apisec.mfa.totp`). ``last_used_step`` is the time step of the last accepted
    code: a code is accepted only for a later step, by one conditional ``UPDATE``, so no code is
    accepted twice. The device counts as a factor once ``confirmed_at`` is set.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    encrypted_secret = models.TextField(editable=False)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(null=True, blank=True, editable=False)

    objects = TOTPDeviceManager()

    class Meta:
        verbose_name = "TOTP device"
        verbose_name_plural = "TOTP devices"

    def __str__(self) -> str:
        """Whose device it is; never its secret."""
        return f"TOTP device of user {self.user_id}"


class RecoveryCode(models.Model):
    """One single-use recovery code, stored as a keyed hash (HMAC-SHA256); shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "recovery code"
        verbose_name_plural = "recovery codes"
        indexes = [models.Index(fields=["user", "code_hash"], name="apisec_recovery_user_hash")]

    def __str__(self) -> str:
        """Whose code it is; never the code."""
        return f"recovery code of user {self.user_id}"


class MFAChallenge(models.Model):
    """The pending second step of a login: the hash of its ``mfa_token``; deleted when spent."""

    token_hash = models.CharField(max_length=64, primary_key=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "MFA challenge"
        verbose_name_plural = "MFA challenges"

    def __str__(self) -> str:
        """Whose login it is; never the token."""
        return f"MFA challenge of user {self.user_id}"


class WebAuthnCredentialManager(models.Manager["WebAuthnCredential"]):
    """Adds the one question lower layers ask about passkeys."""

    def registered_for(self, user: Any) -> bool:
        """Whether ``user`` has at least one passkey."""
        return self.filter(user=user).exists()


class WebAuthnCredential(models.Model):
    """A user's passkey (WebAuthn public-key credential); never a private key.

    ``credential_id`` is the authenticator's credential id (base64url, unique); ``public_key``
    the COSE public key the assertions are checked with. ``sign_count`` is the highest signature
    counter seen: an assertion must carry a higher one (when either is non-zero), moved forward
    by one conditional ``UPDATE`` (:mod:`django_apisec.mfa.passkeys`), so a cloned authenticator
    that replays an older counter is refused.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed by the (user, created_at) index below, whose first column is the user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # A credential id is at most 1023 bytes: 1364 base64url characters.
    credential_id = models.CharField(max_length=1400, unique=True, editable=False)
    public_key = models.BinaryField(editable=False)
    sign_count = models.BigIntegerField(default=0, editable=False)
    name = models.CharField(max_length=100)
    transports = models.JSONField(default=list, blank=True, editable=False)
    backed_up = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = WebAuthnCredentialManager()

    class Meta:
        verbose_name = "passkey"
        verbose_name_plural = "passkeys"
        indexes = [models.Index(fields=["user", "created_at"], name="apisec_passkey_user_created")]

    def __str__(self) -> str:
        """The name the user gave it; never key material."""
        return f"{self.name} (passkey of user {self.user_id})"


class WebAuthnChallenge(models.Model):
    """A pending WebAuthn ceremony: the hash of its challenge; deleted when spent or expired.

    ``purpose`` is the ceremony (registration, second factor, step-up, passwordless login) and
    ``user`` whom it was issued for (none for a passwordless login, where the passkey names the
    user). The challenge travels inside the signed ``clientDataJSON``; it is looked up by its
    SHA-256 and spent with one ``DELETE``.
    """

    challenge_hash = models.CharField(max_length=64, primary_key=True, editable=False)
    purpose = models.CharField(max_length=16, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True
    )
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "WebAuthn challenge"
        verbose_name_plural = "WebAuthn challenges"

    def __str__(self) -> str:
        """The ceremony; never the challenge."""
        return f"WebAuthn {self.purpose} challenge"


def has_second_factor(user: Any) -> bool:
    """Whether a login of ``user`` needs a second step: a confirmed TOTP device or a passkey.

    The lockout backend asks this without depending on :mod:`django_apisec.mfa`.
    """
    return bool(
        TOTPDevice.objects.confirmed_for(user) or WebAuthnCredential.objects.registered_for(user)
    )
