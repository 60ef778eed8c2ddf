"""Signals django_apisec sends. Receivers observe; enforcement never depends on them.

Every signal is sent with keyword arguments only; they are documented in ``docs/signals.rst``.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = [
    "account_locked",
    "account_unlocked",
    "lockout_reset",
    "login_failed",
    "login_succeeded_after_failures",
    "mfa_enrolled",
    "mfa_failed",
    "mfa_removed",
    "mfa_succeeded",
    "owner_bypass_used",
    "passkey_counter_regressed",
    "reauthenticated",
    "recovery_code_used",
    "recovery_codes_regenerated",
    "refresh_token_reused",
    "security_event",
    "sessions_revoked",
]

#: An ownership bypass policy let a request see objects it does not own.
#: Arguments: ``request`` (the DRF request), ``view`` (the view instance), ``policy`` (the
#: :class:`~django_apisec.ownership.OwnerBypass` instance that applied), ``user``.
owner_bypass_used = Signal()

#: A refresh token that had already been rotated was presented again: its whole token family (the
#: login session) has been revoked. Arguments: ``user`` (the session's user), ``family`` (the
#: revoked :class:`~django_apisec.models.TokenFamily`), ``client_ip`` (the presenting client's
#: address, or ``None``), ``request`` (the Django request, or ``None`` outside a request).
refresh_token_reused = Signal()

#: Login sessions were revoked (logout, logout everywhere, password change, deactivation, reuse).
#: Arguments: ``user`` (the user whose sessions ended; ``None`` when only a family id was known),
#: ``family_ids`` (list of the revoked :class:`~django_apisec.models.TokenFamily` ids),
#: ``reason`` (``"logout"``, ``"logout_all"``, ``"password_changed"``, ``"user_inactive"``,
#: ``"reuse"``, ``"session_ended"`` (ended from the sessions list) or a caller's own reason).
sessions_revoked = Signal()

#: A security event was recorded (see :func:`django_apisec.observability.record`); sent
#: after the log record is written. Arguments: ``event`` (the
#: :class:`~django_apisec.observability.SecurityEvent`:
#: ``type``, ``outcome``, ``time``, ``request_id``, ``client_ip``, ``user_id``, ``path``,
#: ``method``, ``fields``), ``request`` (the request or ``None``), ``user`` (the user the event is
#: about, or ``None``). The sender is :class:`~django_apisec.observability.SecurityEvent`.
security_event = Signal()

#: A login attempt reached the password check and failed (it was counted).
#: Arguments: ``username`` (canonical), ``client_ip`` (``None`` without a request),
#: ``failures`` (failures in the bucket so far, this one included), ``request`` (or ``None``).
login_failed = Signal()

#: An account (or one trusted device's bucket of it) reached the threshold and is locked.
#: Arguments: ``username`` (canonical), ``until`` (Unix time the lock ends), ``level`` (how many
#: times it locked within a day: 1, 2, ...), ``request``.
account_locked = Signal()

#: An operator unlocked an account (``manage.py apisec_lockout unlock``, the admin's security
#: page or ``lockout.unlock()``). Arguments: ``username`` (canonical), ``by`` (``"command"``,
#: ``"admin"`` or the caller's label), ``request`` (the operator's, or ``None``).
account_unlocked = Signal()

#: A successful login cleared a bucket that held failures.
#: Arguments: ``username`` (canonical), ``failures`` (how many were cleared), ``request``.
lockout_reset = Signal()

#: A login succeeded one failure away from a lock (or closer): possibly a guessed password.
#: Arguments: ``username`` (canonical), ``failures`` (failures before the success), ``request``.
login_succeeded_after_failures = Signal()

#: An API key was created (through the API, the admin, ``apisec_keys create`` or a rotation).
#: Arguments: ``key`` (the :class:`~django_apisec.models.APIKey`; its secret is not in it),
#: ``user`` (its owner), ``request`` (or ``None``).
api_key_created = Signal()

#: An API key was revoked. Arguments: ``key``, ``user`` (its owner), ``by`` (``"owner"``,
#: ``"admin"``, ``"command"`` or the caller's label), ``request`` (or ``None``).
api_key_revoked = Signal()

#: A request's API key was refused. Arguments: ``reason`` (``"unknown"``, ``"revoked"``,
#: ``"expired"``, ``"ip"``, ``"scope"``, ``"query_string"``, ``"insecure_transport"`` or
#: ``"not_allowed"``), ``key`` (the :class:`~django_apisec.models.APIKey` when the key was
#: genuine, else ``None``), ``request``.
api_key_rejected = Signal()

#: The attack detector (``django_apisec.monitoring``) saw a wave of failed logins spread over
#: many accounts and client networks. Keyword arguments: ``kind`` (``"credential_stuffing"``),
#: ``failures``, ``accounts``, ``networks`` (counts in the window), ``window`` (seconds),
#: ``tightened_for`` (seconds the global login rate applies; ``0`` when tightening is off).
attack_detected = Signal()

#: A user confirmed a second factor. Arguments: ``user``, ``method`` (``"totp"``), ``request``.
mfa_enrolled = Signal()

#: A user removed a second factor (after a step-up). Arguments: ``user``, ``method``,
#: ``request``.
mfa_removed = Signal()

#: A second factor was accepted (login second step or step-up). Arguments: ``user``, ``method``
#: (``"totp"`` or ``"recovery_code"``), ``request``.
mfa_succeeded = Signal()

#: A second factor was refused (wrong, replayed or used code; counted by the lockout).
#: Arguments: ``user``, ``method``, ``request``.
mfa_failed = Signal()

#: A recovery code was spent. Arguments: ``user``, ``remaining`` (unused codes left),
#: ``request``.
recovery_code_used = Signal()

#: A user re-authenticated (step-up) and got an access token with a fresh ``auth_time``.
#: Arguments: ``user``, ``family_id`` (the session's id), ``request``.
reauthenticated = Signal()

#: A user replaced their recovery codes (after a step-up); the old ones stop working.
#: Arguments: ``user``, ``count`` (new codes issued), ``request``.
recovery_codes_regenerated = Signal()

#: A passkey assertion with a valid signature carried a signature counter not above the stored
#: one: the passkey may have been cloned. The login is refused. Arguments: ``user``,
#: ``passkey`` (the ``WebAuthnCredential``), ``stored_count``, ``presented_count``, ``request``.
passkey_counter_regressed = Signal()

#: A hashing slot of this worker process was taken or given back (see :doc:`lockout`). Sent by
#: the login's thread outside any lock. Arguments: ``busy`` (slots of this process in use now),
#: ``slots`` (the process's number of slots). The monitoring app turns it into a gauge.
hashing_slots_changed = Signal()
