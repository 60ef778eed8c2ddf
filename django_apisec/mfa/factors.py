"""Checking a user's second factor, counted by the account lockout like a password.

Every check first reserves a slot in the account's lockout bucket
(:func:`django_apisec.abuse.lockout.reserve`), exactly as a password check does: N concurrent
wrong codes run at most ``APISEC_LOCKOUT_THRESHOLD`` checks, and a locked account answers 429
before any code is looked at. Only a right code clears the bucket and makes the device trusted
(:func:`~django_apisec.abuse.lockout.record_success`); a right password of a user with a factor
does neither (:class:`~django_apisec.abuse.backends.LockoutModelBackend`), so holding the
password never buys a fresh bucket of code guesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django_apisec import signals
from django_apisec.abuse import lockout
from django_apisec.mfa import passkeys, recovery, totp
from django_apisec.models import RecoveryCode, TOTPDevice, WebAuthnCredential
from django_apisec.models import has_second_factor as _has_second_factor
from django_apisec.observability import events

TOTP = "totp"
RECOVERY_CODE = "recovery_code"
WEBAUTHN = "webauthn"


def enrolled_methods(user: Any) -> list[str]:
    """The second factors ``user`` can log in with (empty: password only).

    Recovery codes count only next to a real factor: they are its backup, never the only one.
    """
    methods = []
    if TOTPDevice.objects.confirmed_for(user):
        methods.append(TOTP)
    if WebAuthnCredential.objects.registered_for(user):
        methods.append(WEBAUTHN)
    if methods and (TOTP in methods or RecoveryCode.objects.filter(user=user).exists()):
        methods.append(RECOVERY_CODE)
    return methods


def has_second_factor(user: Any) -> bool:
    """Whether a login of ``user`` needs a second step (a TOTP device or a passkey)."""
    return _has_second_factor(user)


@dataclass(frozen=True)
class FactorCheck:
    """A second factor presented by the client: a TOTP code, a recovery code or a passkey.

    ``credential`` is the browser's ``navigator.credentials.get()`` answer (JSON); ``ceremony``
    is the passkey ceremony it must belong to (:data:`~django_apisec.mfa.passkeys.SECOND_FACTOR`
    at login, :data:`~django_apisec.mfa.passkeys.REAUTH` for a step-up).
    """

    code: str | None = None
    recovery_code: str | None = None
    credential: dict[str, Any] | None = None
    ceremony: str = passkeys.SECOND_FACTOR

    @property
    def method(self) -> str:
        """Which factor is presented (a TOTP code wins, then a passkey)."""
        if self.code:
            return TOTP
        return WEBAUTHN if self.credential else RECOVERY_CODE


def _right(request: Any, user: Any, presented: FactorCheck) -> bool:
    method = presented.method
    if method == TOTP:
        device = totp.device_of(user, confirmed=True)
        return device is not None and totp.verify(device, presented.code)
    if method == WEBAUTHN:
        try:
            passkeys.verify_assertion(request, presented.credential, presented.ceremony, user)
        except passkeys.PasskeyError:
            return False
        return True
    return recovery.use(user, presented.recovery_code)


def check_second_factor(request: Any, user: Any, presented: FactorCheck) -> bool:
    """Check ``presented`` for ``user`` through the lockout; spends the code when it is right.

    Raises :class:`~django_apisec.abuse.lockout.LockedOut` (429) or the limiter's 503 when the
    lockout refuses the attempt. Records ``mfa_succeeded`` / ``mfa_failed`` (and
    ``recovery_code_used``) security events.
    """
    attempt = lockout.reserve(request, user.get_username())
    if not attempt.admitted:
        lockout.refuse(request, attempt)  # 429, or 503 when the store is down
    method = presented.method
    if not _right(request, user, presented):
        lockout.record_failure(request, attempt)
        events.record(
            events.MFA_FAILED, request=request, user=user, outcome=events.FAILURE, factor=method
        )
        signals.mfa_failed.send(sender=FactorCheck, user=user, method=method, request=request)
        return False
    lockout.record_success(request, attempt)
    events.record(
        events.MFA_SUCCEEDED, request=request, user=user, outcome=events.SUCCESS, factor=method
    )
    signals.mfa_succeeded.send(sender=FactorCheck, user=user, method=method, request=request)
    if method == RECOVERY_CODE:
        left = recovery.remaining(user)
        events.record(
            events.RECOVERY_CODE_USED,
            request=request,
            user=user,
            outcome=events.SUCCESS,
            remaining=left,
        )
        signals.recovery_code_used.send(
            sender=FactorCheck, user=user, remaining=left, request=request
        )
    return True
