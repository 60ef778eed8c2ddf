"""MFA challenges: the short-lived, single-use ``mfa_token`` between a login's two steps.

The password step of a user with a second factor gets only this token: random, 256 bits, valid
for :data:`LIFETIME` and stored as its SHA-256 (a database read does not yield usable tokens). It
is not a JWT, so no authentication class accepts it. The second step spends it with one
``DELETE``: of two concurrent requests with one token, exactly one gets the session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.utils import timezone

from django_apisec.models import MFAChallenge

LIFETIME = timedelta(minutes=5)
#: Longer than any token of ours (a 43-character base64url string); bounds what is hashed.
MAX_TOKEN_LENGTH = 128


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: Any) -> str:
    """A new ``mfa_token`` for ``user``, who has just proved their password."""
    now = timezone.now()
    # The user's expired challenges go now (one indexed DELETE): rows never pile up.
    MFAChallenge.objects.filter(user=user, expires_at__lte=now).delete()
    token = secrets.token_urlsafe(32)
    MFAChallenge.objects.create(token_hash=_hash(token), user=user, expires_at=now + LIFETIME)
    return token


def pending(token: object) -> MFAChallenge | None:
    """The live challenge of ``token`` (with its user), or ``None``."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    challenge: MFAChallenge | None = (
        MFAChallenge.objects.select_related("user")
        .filter(token_hash=_hash(token), expires_at__gt=timezone.now())
        .first()
    )
    return challenge


def spend(challenge: MFAChallenge) -> bool:
    """Use the challenge up; ``False`` when another request spent it first or it expired."""
    spent = MFAChallenge.objects.filter(
        token_hash=challenge.token_hash, expires_at__gt=timezone.now()
    ).delete()[0]
    return bool(spent == 1)


def prune() -> int:
    """Delete every expired ``mfa_token`` challenge (everyone's); how many rows went."""
    return int(MFAChallenge.objects.filter(expires_at__lte=timezone.now()).delete()[0])
