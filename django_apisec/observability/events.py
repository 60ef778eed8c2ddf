"""Security events: one call records an event in the security log and sends a signal.

:func:`record` writes one record to the ``django_apisec.security`` logger (formatted as a JSON
line by :class:`~django_apisec.observability.formatting.JsonLinesFormatter`) with the event type,
time, request id, client IP, user id, path and outcome, then sends
:data:`~django_apisec.signals.security_event`. Callers pass names and identifiers, never
secrets: a validation failure lists field names, not values.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from django_apisec.request.addresses import client_ip
from django_apisec.request.request_id import current_request_id, request_id
from django_apisec.request.state import django_request
from django_apisec.signals import security_event

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = [
    "ACCOUNT_LOCKED_OUT",
    "ACCOUNT_UNLOCKED",
    "ALLOWED",
    "ATTACK_DETECTED",
    "AUTHENTICATION_FAILED",
    "AUTHENTICATION_SUCCEEDED",
    "AUTHORIZATION_DENIED",
    "BLOCKED",
    "DENIED",
    "EVENT_TYPES",
    "FAILURE",
    "INPUT_REJECTED",
    "MFA_ENROLLED",
    "MFA_FAILED",
    "MFA_REMOVED",
    "MFA_SUCCEEDED",
    "OWNER_BYPASS_USED",
    "PASSKEY_COUNTER_REGRESSED",
    "REAUTHENTICATED",
    "RECOVERY_CODES_REGENERATED",
    "RECOVERY_CODE_USED",
    "SECURITY_LOGGER",
    "SUCCESS",
    "THROTTLED",
    "TOKEN_REUSED",
    "VALIDATION_FAILED",
    "SecurityEvent",
    "field_names",
    "record",
]

SECURITY_LOGGER = "django_apisec.security"
logger = logging.getLogger(SECURITY_LOGGER)

# Event types.
AUTHENTICATION_SUCCEEDED = "authentication_succeeded"
AUTHENTICATION_FAILED = "authentication_failed"
ACCOUNT_LOCKED_OUT = "account_locked_out"
ACCOUNT_UNLOCKED = "account_unlocked"
TOKEN_REUSED = "token_reused"  # noqa: S105 (an event name, not a secret)
AUTHORIZATION_DENIED = "authorization_denied"
OWNER_BYPASS_USED = "owner_bypass"
VALIDATION_FAILED = "validation_failed"
INPUT_REJECTED = "input_rejected"
THROTTLED = "throttled"
API_KEY_CREATED = "api_key_created"
API_KEY_REVOKED = "api_key_revoked"
API_KEY_REJECTED = "api_key_rejected"
ATTACK_DETECTED = "attack_detected"
MFA_ENROLLED = "mfa_enrolled"
MFA_REMOVED = "mfa_removed"
MFA_SUCCEEDED = "mfa_succeeded"
MFA_FAILED = "mfa_failed"
RECOVERY_CODE_USED = "recovery_code_used"
REAUTHENTICATED = "reauthenticated"
RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"
PASSKEY_COUNTER_REGRESSED = "passkey_counter_regressed"
EVENT_TYPES = frozenset(
    {
        AUTHENTICATION_SUCCEEDED,
        AUTHENTICATION_FAILED,
        ACCOUNT_LOCKED_OUT,
        ACCOUNT_UNLOCKED,
        TOKEN_REUSED,
        AUTHORIZATION_DENIED,
        OWNER_BYPASS_USED,
        VALIDATION_FAILED,
        INPUT_REJECTED,
        THROTTLED,
        API_KEY_CREATED,
        API_KEY_REVOKED,
        API_KEY_REJECTED,
        ATTACK_DETECTED,
        MFA_ENROLLED,
        MFA_REMOVED,
        MFA_SUCCEEDED,
        MFA_FAILED,
        RECOVERY_CODE_USED,
        REAUTHENTICATED,
        RECOVERY_CODES_REGENERATED,
        PASSKEY_COUNTER_REGRESSED,
    }
)

# Outcomes; anything but SUCCESS and ALLOWED is logged as a warning.
SUCCESS = "success"
ALLOWED = "allowed"
FAILURE = "failure"
DENIED = "denied"
BLOCKED = "blocked"
_INFO_OUTCOMES = frozenset({SUCCESS, ALLOWED})

# Field names are client-chosen (an unknown key is reported by name): bound what reaches the log.
MAX_FIELD_NAMES = 20
MAX_FIELD_NAME_LENGTH = 64


@dataclass(frozen=True)
class SecurityEvent:
    """One security event, as logged and as sent with the ``security_event`` signal."""

    type: str
    outcome: str
    time: str
    request_id: str | None
    client_ip: str | None
    user_id: str | None
    path: str | None
    method: str | None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON-lines payload: the fixed keys, then the event's own fields."""
        fixed = {
            "event": self.type,
            "outcome": self.outcome,
            "time": self.time,
            "request_id": self.request_id,
            "client_ip": self.client_ip,
            "user_id": self.user_id,
            "path": self.path,
            "method": self.method,
        }
        # The fixed keys win: a caller's field never masquerades as one of them.
        return {**{k: v for k, v in self.fields.items() if k not in fixed}, **fixed}


def _client_address(request: HttpRequest | None) -> str | None:
    """The client's address, as the trusted-proxy-aware ``client_ip()`` derives it."""
    return None if request is None else client_ip(request)


def _user_id(user: Any, request: Any) -> str | None:
    """The authenticated user's primary key, from ``user`` or the request.

    DRF authenticates lazily and ``request.user`` may raise inside the exception handler; only a
    user already resolved on the request (DRF's ``_user``, Django's ``request.user``) is read.
    """
    if user is None and request is not None:
        user = getattr(request, "_user", None) or vars(django_request(request)).get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    pk = getattr(user, "pk", None)
    return None if pk is None else str(pk)


def record(
    event_type: str,
    *,
    request: Any = None,
    user: Any = None,
    outcome: str,
    **fields: Any,
) -> SecurityEvent:
    """Record a security event: a log record on ``django_apisec.security`` and a signal.

    ``request`` is a Django or DRF request (or ``None`` outside a request); ``user`` the user the
    event is about when it is not the request's (e.g. the account a login failed for).
    ``fields`` are extra JSON-serialisable details: identifiers and names only, never a password,
    token or submitted value. Returns the event.
    """
    http_request = None if request is None else django_request(request)
    event = SecurityEvent(
        type=event_type,
        outcome=outcome,
        time=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        request_id=request_id(http_request) if http_request is not None else current_request_id(),
        client_ip=_client_address(http_request),
        user_id=_user_id(user, request),
        path=getattr(http_request, "path", None),
        method=getattr(http_request, "method", None),
        fields=fields,
    )
    level = logging.INFO if outcome in _INFO_OUTCOMES else logging.WARNING
    logger.log(
        level,
        "%s %s",
        event_type,
        outcome,
        extra={"event": event_type, "security_event": event.as_dict()},
    )
    security_event.send(sender=SecurityEvent, event=event, request=request, user=user)
    return event


def field_names(errors: Any, prefix: str = "") -> list[str]:
    """The names of the fields in DRF validation ``errors`` (nested as ``a.b``), never values.

    At most :data:`MAX_FIELD_NAMES` names of at most :data:`MAX_FIELD_NAME_LENGTH` characters.
    """
    names: list[str] = []
    pending: list[tuple[str, Any]] = [(prefix, errors)]
    while pending and len(names) < MAX_FIELD_NAMES:
        path, value = pending.pop(0)
        if isinstance(value, Mapping):
            pending.extend((f"{path}.{key}" if path else str(key), v) for key, v in value.items())
        elif isinstance(value, list) and any(isinstance(v, Mapping) for v in value):
            # many=True: one error dict per item; the item's index adds nothing to the name.
            pending.extend((path, v) for v in value if isinstance(v, Mapping))
        elif path and path[:MAX_FIELD_NAME_LENGTH] not in names:
            names.append(path[:MAX_FIELD_NAME_LENGTH])
    return names
