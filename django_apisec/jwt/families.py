"""Login sessions as token families: start, rotate atomically, detect reuse, end, prune.

A login starts a family (:class:`~django_apisec.models.TokenFamily`) whose ``current_jti`` is the
id of the one refresh token that may be used next. Refreshing rotates the family with a single
conditional ``UPDATE ... WHERE current_jti = <presented>``: the database lets exactly one of any
number of concurrent refreshes with the same token succeed. A refresh token of the family that is
not the current one is a replay (the token was stolen, or the client misbehaves): the whole family
is revoked, :data:`~django_apisec.signals.refresh_token_reused` is sent and a security event is
logged. The one exception is the token rotated less than ``APISEC_JWT_REUSE_GRACE_SECONDS`` ago
(default 10): the browser tabs of one user that refresh at the same moment with the same cookie
lose the race to one of them, and are told so (:class:`RefreshSupersededError`) to retry with the
cookie the winner just received.

Revocation (logout, password change, the markers that end access tokens) lives in
:mod:`django_apisec.jwt.revocation`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.utils import datetime_from_epoch

from django_apisec.conf import apisec_settings
from django_apisec.jwt.revocation import LOGOUT, REUSE, USER_INACTIVE, revoke_family
from django_apisec.jwt.tokens import (
    FINGERPRINT_CLAIM,
    SessionAccessToken,
    SessionRefreshToken,
    SessionToken,
    jwt_settings,
)
from django_apisec.mfa import challenges, passkeys
from django_apisec.models import TokenFamily
from django_apisec.observability import events
from django_apisec.signals import refresh_token_reused

if TYPE_CHECKING:
    from django.http import HttpRequest


class SessionError(Exception):
    """A refresh token was refused. The reason is logged; the client sees one generic answer."""

    code = "token_not_valid"
    detail = "Token is invalid or expired."

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RefreshSupersededError(SessionError):
    """The token was rotated moments ago by a concurrent refresh: retry with the new cookie.

    Not an attack and not the end of the session: the family stays alive, and the answer must
    not touch the cookie (the browser already holds the winner's successor).
    """

    code = "refresh_superseded"
    detail = "This refresh token was just rotated by a concurrent request; retry."


@dataclass(frozen=True)
class IssuedSession:
    """Tokens issued by a login or a refresh, and what the transport needs to send them."""

    access: str
    refresh: str
    refresh_expires_at: datetime
    family_id: uuid.UUID
    #: The raw sidejacking fingerprint for its cookie, when ``APISEC_JWT_FINGERPRINT`` is on and
    #: this is a login (a refresh keeps the browser's existing fingerprint cookie).
    fingerprint: str | None = None


def fingerprint_matches(token: SessionToken, fingerprint: str | None) -> bool:
    """Whether a fingerprint cookie value hashes to the token's fingerprint claim."""
    claim = token.get(FINGERPRINT_CLAIM)
    if not isinstance(claim, str) or not fingerprint:
        return False
    return hmac.compare_digest(claim, fingerprint_hash(fingerprint))


def fingerprint_hash(value: str) -> str:
    """The SHA-256 (hex) of a fingerprint cookie value, as carried in the tokens."""
    return hashlib.sha256(value.encode()).hexdigest()


def user_token_id(user: Any) -> str:
    """The value of the user id claim for ``user`` (``SIMPLE_JWT["USER_ID_FIELD"]``)."""
    return str(getattr(user, jwt_settings().USER_ID_FIELD))


def start_session(user: Any, *, client: str = "") -> IssuedSession:
    """Start a token family for ``user`` (who has just authenticated) and issue its tokens.

    The login is a proof of every factor: the session's ``auth_time`` is now. ``client`` is a
    coarse description of the client for the sessions list (:mod:`django_apisec.request.clients`).
    """
    now = timezone.now()
    absolute_expires_at = now + apisec_settings.JWT_SESSION_MAX_AGE
    expires_at = min(now + jwt_settings().REFRESH_TOKEN_LIFETIME, absolute_expires_at)
    family_id = uuid.uuid4()
    fingerprint = secrets.token_urlsafe(32) if apisec_settings.JWT_FINGERPRINT else None
    fingerprint_claim = fingerprint_hash(fingerprint) if fingerprint else None
    refresh = SessionRefreshToken.issue(
        user_id=user_token_id(user),
        session_id=str(family_id),
        now=now,
        expires_at=expires_at,
        fingerprint_hash=fingerprint_claim,
    )
    TokenFamily.objects.create(
        id=family_id,
        user=user,
        current_jti=refresh.jti,
        created_at=now,
        idle_expires_at=expires_at,
        absolute_expires_at=absolute_expires_at,
        auth_time=now,
        client=client[:100],
    )
    _prune_at_login(user, now)
    return _issued(refresh, absolute_expires_at, now, fingerprint, auth_time=now)


def rotate_session(
    raw_refresh: str, *, request: HttpRequest | None = None, fingerprint: str | None = None
) -> IssuedSession:
    """Exchange the family's current refresh token for a new pair; exactly once per token.

    Raises :class:`SessionError` for an invalid, expired, revoked or replayed token. A replay
    (a refresh token of the family other than its current one) revokes the whole family,
    unless it is the token rotated less than ``APISEC_JWT_REUSE_GRACE_SECONDS`` ago: that one
    raises :class:`RefreshSupersededError` and leaves the family alone. With
    ``APISEC_JWT_FINGERPRINT`` on, ``fingerprint`` (the browser's fingerprint cookie) must match.
    """
    presented = _decode_refresh(raw_refresh)
    if apisec_settings.JWT_FINGERPRINT and not fingerprint_matches(presented, fingerprint):
        raise SessionError("fingerprint cookie missing or wrong")
    now = timezone.now()
    family = _family_of(presented)
    if family.current_jti != presented.jti:
        _refuse_stale(family, presented, now, request)
    if not family.user.is_active:
        revoke_family(family.pk, reason=USER_INACTIVE, user=family.user)
        raise SessionError("user inactive")
    expires_at = min(now + jwt_settings().REFRESH_TOKEN_LIFETIME, family.absolute_expires_at)
    successor = SessionRefreshToken.issue(
        user_id=presented.user_id,
        session_id=presented.session_id,
        now=now,
        expires_at=expires_at,
        fingerprint_hash=presented.get(FINGERPRINT_CLAIM),
    )
    # The one statement that decides: of N concurrent refreshes with this token, the database
    # applies exactly one; the others match no row.
    rotated = TokenFamily.objects.filter(
        pk=family.pk,
        current_jti=presented.jti,
        revoked_at__isnull=True,
        idle_expires_at__gt=now,
    ).update(
        current_jti=successor.jti,
        previous_jti=presented.jti,
        rotated_at=now,
        generation=F("generation") + 1,
        idle_expires_at=expires_at,
        last_used_at=now,
    )
    if rotated != 1:
        family = _family_of(presented)
        if family.current_jti != presented.jti:
            _refuse_stale(family, presented, now, request)
        raise SessionError("session expired")
    return _issued(successor, family.absolute_expires_at, now, None, auth_time=family.auth_time)


def reauthenticate(token: SessionToken) -> str:
    """A new access token of ``token``'s live session with ``auth_time`` now (after a step-up).

    Later refreshes of the session carry the new ``auth_time``. Raises :class:`SessionError`
    when the session was revoked meanwhile.
    """
    now = timezone.now()
    family = _family_of(token)
    if not TokenFamily.objects.filter(pk=family.pk, revoked_at__isnull=True).update(auth_time=now):
        raise SessionError("session revoked")  # pragma: no cover - revoked between two reads
    access = SessionAccessToken.issue(
        user_id=token.user_id,
        session_id=token.session_id,
        now=now,
        expires_at=min(now + jwt_settings().ACCESS_TOKEN_LIFETIME, family.absolute_expires_at),
        fingerprint_hash=token.get(FINGERPRINT_CLAIM),
        auth_time=now,
    )
    return str(access)


def end_session(raw_refresh: str) -> bool:
    """Log out: revoke the family of a validly signed refresh token. Returns whether it did."""
    try:
        presented = _decode_refresh(raw_refresh)
        family = _family_of(presented)
    except SessionError:
        return False
    return revoke_family(family.pk, reason=LOGOUT, user=family.user)


def prune_sessions(
    *, now: datetime | None = None, batch_size: int | None = None, max_batches: int | None = None
) -> int:
    """Delete expired and revoked families in batches; returns how many rows were deleted."""
    now = now or timezone.now()
    size = batch_size or apisec_settings.JWT_PRUNE_BATCH_SIZE
    deleted = batches = 0
    while max_batches is None or batches < max_batches:
        batch = list(
            TokenFamily.objects.filter(idle_expires_at__lte=now).values_list("pk", flat=True)[:size]
        )
        if not batch:
            break
        deleted += TokenFamily.objects.filter(pk__in=batch).delete()[0]
        batches += 1
    return deleted


def _decode_refresh(raw_refresh: str) -> SessionRefreshToken:
    try:
        return SessionRefreshToken(raw_refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        raise SessionError("invalid refresh token") from exc


def _family_of(token: SessionToken) -> TokenFamily:
    try:
        family_id = uuid.UUID(token.session_id)
    except ValueError as exc:
        raise SessionError("malformed session id") from exc
    family: TokenFamily | None = (
        TokenFamily.objects.select_related("user")
        .filter(pk=family_id, revoked_at__isnull=True)
        .first()
    )
    if family is None or user_token_id(family.user) != token.user_id:
        raise SessionError("session unknown, revoked or pruned")
    return family


def _refuse_stale(
    family: TokenFamily, token: SessionRefreshToken, now: datetime, request: HttpRequest | None
) -> None:
    grace = timedelta(seconds=apisec_settings.JWT_REUSE_GRACE_SECONDS)
    if (
        grace
        and token.jti == family.previous_jti
        and family.rotated_at is not None
        and now - family.rotated_at <= grace
    ):
        raise RefreshSupersededError("refresh token rotated moments ago (grace window)")
    _report_reuse(family, request)
    raise SessionError("refresh token reused")


def _report_reuse(family: TokenFamily, request: HttpRequest | None) -> None:
    user = family.user
    revoke_family(family.pk, reason=REUSE, user=user)
    if apisec_settings.JWT_REUSE_DEACTIVATES_USER and user.is_active:
        user.is_active = False
        # The post_save receiver then revokes the user's other sessions too.
        user.save(update_fields=["is_active"])
    event = events.record(
        events.TOKEN_REUSED,
        request=request,
        user=user,
        outcome=events.BLOCKED,
        family_id=str(family.pk),
        account_locked=not user.is_active,
    )
    client_ip = event.client_ip
    refresh_token_reused.send(
        sender=TokenFamily, user=user, family=family, client_ip=client_ip, request=request
    )


def _issued(
    refresh: SessionRefreshToken,
    absolute_expires_at: datetime,
    now: datetime,
    fingerprint: str | None,
    *,
    auth_time: datetime | None,
) -> IssuedSession:
    access = SessionAccessToken.issue(
        user_id=refresh.user_id,
        session_id=refresh.session_id,
        now=now,
        expires_at=min(now + jwt_settings().ACCESS_TOKEN_LIFETIME, absolute_expires_at),
        fingerprint_hash=refresh.get(FINGERPRINT_CLAIM),
        auth_time=auth_time,
    )
    return IssuedSession(
        access=str(access),
        refresh=str(refresh),
        refresh_expires_at=datetime_from_epoch(refresh["exp"]),
        family_id=uuid.UUID(refresh.session_id),
        fingerprint=fingerprint,
    )


def _prune_at_login(user: Any, now: datetime) -> None:
    # The user's own dead sessions go at every login (one indexed DELETE next to a password
    # hash), so a returning user never accumulates rows; the sessions of users who never come
    # back go in a batch on one login in APISEC_JWT_PRUNE_EVERY, or with apisec_prune_sessions.
    TokenFamily.objects.filter(user=user, idle_expires_at__lte=now).delete()
    every = apisec_settings.JWT_PRUNE_EVERY
    if every and secrets.randbelow(every) == 0:
        prune_sessions(now=now, max_batches=1)
        # Abandoned logins' second steps and passkey ceremonies go with them (indexed DELETEs).
        challenges.prune()
        passkeys.prune_challenges()
