"""Recovery codes: ten random codes shown once, stored as keyed hashes, each usable once.

A code carries 60 random bits, so a fast keyed hash is enough (no password hasher: nothing to
slow down against a dictionary): HMAC-SHA256 with a key derived from ``SECRET_KEY`` (Django's
``salted_hmac``), also computed with each ``SECRET_KEY_FALLBACKS`` key so rotation keeps the codes
working. Guessing is bounded by the account lockout. Spending is one conditional ``UPDATE``: two
concurrent uses of one code yield one success.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from django_apisec.models import RecoveryCode

COUNT = 10
#: Crockford-like lowercase base32 without i, l, o, u: unambiguous when read aloud or typed.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
GROUPS = 3
GROUP_LENGTH = 4
KEY_SALT = "django_apisec.mfa.recovery-code"


def normalise(code: str) -> str:
    """What is hashed: lowercase, without spaces and dashes (as users type codes)."""
    return "".join(code.split()).replace("-", "").lower()


def code_hashes(code: str) -> list[str]:
    """The hash of ``code`` under ``SECRET_KEY`` and under each fallback key."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    value = normalise(code)
    return [
        salted_hmac(KEY_SALT, value, secret=key, algorithm="sha256").hexdigest() for key in keys
    ]


def _new_code() -> str:
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))
    return "-".join(groups)


def regenerate(user: Any) -> list[str]:
    """Replace the user's recovery codes with :data:`COUNT` new ones, returned once."""
    codes = [_new_code() for _ in range(COUNT)]
    now = timezone.now()
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=code_hashes(code)[0], created_at=now) for code in codes
    )
    return codes


def use(user: Any, code: object) -> bool:
    """Spend one of the user's unused codes; ``False`` for a wrong, used or raced code."""
    if not isinstance(code, str) or not code or len(code) > 64:
        return False
    spent = RecoveryCode.objects.filter(
        user=user, code_hash__in=code_hashes(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return bool(spent >= 1)


def remaining(user: Any) -> int:
    """How many unused recovery codes the user has."""
    return int(RecoveryCode.objects.filter(user=user, used_at__isnull=True).count())


def discard(user: Any) -> None:
    """Delete the user's recovery codes (when the last factor is removed)."""
    RecoveryCode.objects.filter(user=user).delete()
