"""TOTP (RFC 6238) with pyotp: enrolment, confirmation, single-use codes, removal.

Codes are 6 digits over 30-second steps with SHA-1, what every authenticator app supports. A code
of the current step or of one step before or after is accepted (clock drift), and only for a step
later than the last one accepted: ``last_used_step`` moves forward in one conditional ``UPDATE``,
so a code is never accepted twice, not even by two concurrent requests within its window.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyotp
from django.db.models import Q
from django.utils import timezone

from django_apisec.mfa.encryption import decrypt, encrypt
from django_apisec.models import TOTPDevice

if TYPE_CHECKING:
    from datetime import datetime

#: How many steps before and after the current one a code may belong to.
DRIFT_STEPS = 1
DIGITS = 6
#: The issuer shown by authenticator apps when the project names none.
DEFAULT_ISSUER = "django_apisec"


@dataclass(frozen=True)
class Enrolment:
    """A new, unconfirmed TOTP device: the secret and its ``otpauth://`` URI, shown once."""

    secret: str
    otpauth_uri: str


def _context(user: Any) -> str:
    return f"totp:{user.pk}"


def device_of(user: Any, *, confirmed: bool) -> TOTPDevice | None:
    """The user's TOTP device, confirmed or not as asked, or ``None``."""
    device: TOTPDevice | None = TOTPDevice.objects.filter(
        user=user, confirmed_at__isnull=not confirmed
    ).first()
    return device


def enrol(user: Any, *, issuer: str = DEFAULT_ISSUER) -> Enrolment:
    """Start (or restart) enrolment: a new secret replaces any unconfirmed device.

    The caller refuses this when a confirmed device exists (replacing it needs a step-up).
    """
    secret = pyotp.random_base32()
    TOTPDevice.objects.filter(user=user, confirmed_at__isnull=True).delete()
    TOTPDevice.objects.create(
        user=user,
        encrypted_secret=encrypt(secret, context=_context(user)),
        created_at=timezone.now(),
    )
    uri = pyotp.TOTP(secret, digits=DIGITS).provisioning_uri(
        name=str(user.get_username()), issuer_name=issuer
    )
    return Enrolment(secret=secret, otpauth_uri=uri)


def verify(device: TOTPDevice, code: object, *, now: datetime | None = None) -> bool:
    """Whether ``code`` is a valid, never-used code of ``device``; spends it when it is."""
    if not isinstance(code, str) or len(code) != DIGITS or not code.isdigit():
        return False
    totp = pyotp.TOTP(decrypt(device.encrypted_secret, context=_context(device.user)))
    current = totp.timecode(now or timezone.now())
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return _spend(device, step)
    return False


def _spend(device: TOTPDevice, step: int) -> bool:
    # The one statement that decides: of any number of requests presenting a code of this step
    # (or of an earlier one), the database lets at most one move last_used_step forward.
    spent = (
        TOTPDevice.objects.filter(pk=device.pk)
        .filter(Q(last_used_step__isnull=True) | Q(last_used_step__lt=step))
        .update(last_used_step=step)
    )
    return bool(spent == 1)


def confirm(device: TOTPDevice) -> bool:
    """Mark an unconfirmed device confirmed (after a valid first code); once."""
    updated = TOTPDevice.objects.filter(pk=device.pk, confirmed_at__isnull=True).update(
        confirmed_at=timezone.now()
    )
    return bool(updated == 1)


def remove(user: Any) -> bool:
    """Delete the user's TOTP device (confirmed or not); whether there was one."""
    return bool(TOTPDevice.objects.filter(user=user).delete()[0] > 0)
