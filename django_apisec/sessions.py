"""Login sessions as token families: start, rotate atomically, detect reuse, revoke, prune.

A login starts a family (:class:`~django_apisec.models.TokenFamily`) whose ``current_jti`` is the
id of the one refresh token that may be used next. Refreshing rotates the family with a single
conditional ``UPDATE ... WHERE current_jti = <presented>``: the database lets exactly one of any
number of concurrent refreshes with the same token succeed. A refresh token of the family that is
not the current one is a replay (the token was stolen, or the client misbehaves): the whole family
is revoked, :data:`~django_apisec.signals.refresh_token_reused` is sent and a security event is
logged.

Access tokens are not looked up in the database. Revoking a family writes a marker into the
``APISEC_CACHE`` cache for as long as an access token of it can live; authentication reads that
one key per request (:func:`is_session_revoked`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.cache import caches
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.utils import datetime_from_epoch

from django_apisec import events, limiter
from django_apisec.conf import apisec_settings
from django_apisec.models import TokenFamily
from django_apisec.signals import refresh_token_reused, sessions_revoked
from django_apisec.tokens import (
    FINGERPRINT_CLAIM,
    SessionAccessToken,
    SessionRefreshToken,
    SessionToken,
    jwt_settings,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.http import HttpRequest

security_logger = logging.getLogger("django_apisec.security")

MARKER_PREFIX = "apisec:jwt:revoked:"

# Revocation reasons, stored in TokenFamily.revoked_reason and sent with sessions_revoked.
LOGOUT = "logout"
LOGOUT_ALL = "logout_all"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason, not a password
USER_INACTIVE = "user_inactive"
REUSE = "reuse"


class SessionError(Exception):
    """A refresh token was refused. The reason is logged; the client sees one generic answer."""

    code = "token_not_valid"
    detail = "Token is invalid or expired."

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def start_session(user: Any) -> IssuedSession:
    """Start a token family for ``user`` (who has just authenticated) and issue its tokens."""
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
    )
    _prune_at_login(user, now)
    return _issued(refresh, absolute_expires_at, now, fingerprint)


def rotate_session(
    raw_refresh: str, *, request: HttpRequest | None = None, fingerprint: str | None = None
) -> IssuedSession:
    """Exchange the family's current refresh token for a new pair; exactly once per token.

    Raises :class:`SessionError` for an invalid, expired, revoked or replayed token. A replay
    (a refresh token of the family other than its current one) revokes the whole family,
    unless it is the token rotated less than ``APISEC_JWT_REUSE_GRACE_SECONDS`` ago. With
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
    )
    if rotated != 1:
        family = _family_of(presented)
        if family.current_jti != presented.jti:
            _refuse_stale(family, presented, now, request)
        raise SessionError("session expired")
    return _issued(successor, family.absolute_expires_at, now, None)


def end_session(raw_refresh: str) -> bool:
    """Log out: revoke the family of a validly signed refresh token. Returns whether it did."""
    try:
        presented = _decode_refresh(raw_refresh)
        family = _family_of(presented)
    except SessionError:
        return False
    return revoke_family(family.pk, reason=LOGOUT, user=family.user)


def revoke_family(family_id: uuid.UUID | str, *, reason: str, user: Any = None) -> bool:
    """Revoke one family and its access tokens. Returns whether it was live until now."""
    now = timezone.now()
    revoked = TokenFamily.objects.filter(pk=family_id, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=reason, idle_expires_at=now
    )
    # Marked even when it was already revoked: the marker of an earlier revocation may be lost.
    mark_revoked([family_id])
    if revoked:
        sessions_revoked.send(
            sender=TokenFamily, user=user, family_ids=[uuid.UUID(str(family_id))], reason=reason
        )
    return bool(revoked)


def revoke_all_sessions(user: Any, *, reason: str) -> int:
    """Revoke every live family of ``user`` and their access tokens. Returns how many."""
    now = timezone.now()
    revoked = TokenFamily.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=reason, idle_expires_at=now
    )
    if revoked:
        # The rows this call revoked carry its exact timestamp; a family started concurrently
        # either was revoked here (and is found) or is newer than this revocation.
        family_ids = list(
            TokenFamily.objects.filter(user=user, revoked_at=now).values_list("pk", flat=True)
        )
        mark_revoked(family_ids)
        sessions_revoked.send(sender=TokenFamily, user=user, family_ids=family_ids, reason=reason)
    return int(revoked)


def marker_key(family_id: uuid.UUID | str) -> str:
    """Cache key of the revocation marker of a family."""
    return f"{MARKER_PREFIX}{family_id}"


def mark_revoked(family_ids: Iterable[uuid.UUID | str]) -> None:
    """Write revocation markers that outlive every access token of these families."""
    config = jwt_settings()
    timeout = config.ACCESS_TOKEN_LIFETIME.total_seconds() + _leeway_seconds(config.LEEWAY) + 1
    markers = {marker_key(family_id): 1 for family_id in family_ids}
    if markers:
        caches[apisec_settings.CACHE].set_many(markers, timeout=int(timeout))


def is_session_revoked(family_id: str) -> bool:
    """Whether the family of an access token was revoked: one cache read.

    When the cache cannot be reached the session counts as live (the access token still
    expires within ``ACCESS_TOKEN_LIFETIME``, and refreshing is checked in the database);
    the outage is logged as a security event.
    """
    alias = apisec_settings.CACHE
    try:
        store = limiter.store_for(alias)
        if isinstance(store, limiter.RedisStore):
            # The limiter's long-lived client: Django's RedisCache builds a new redis client
            # object per operation, which cost more than the round trip itself (bench/).
            key = store.backend.make_key(marker_key(family_id))
            return bool(store.client.exists(key))
        return caches[alias].get(marker_key(family_id)) is not None
    except Exception:  # any cache client error; failing closed would log out everyone
        security_logger.exception(
            "Session revocation cache unreachable; access token accepted",
            extra={"event": "revocation_cache_unavailable", "family_id": family_id},
        )
        return False


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


def revoke_on_credential_change(
    sender: Any,  # noqa: ARG001 - the signal's signature
    instance: Any,
    created: bool,
    update_fields: Any = None,
    **kwargs: Any,
) -> None:
    """``post_save`` receiver on the user model: a password change or deactivation ends sessions.

    ``AbstractBaseUser.set_password()`` keeps the raw password in ``_password`` until the save
    completes (a hash upgrade at login clears it first), so any code path that sets a password
    and saves — our view, the admin, a shell — is seen here.
    """
    if created:
        return
    if getattr(instance, "_password", None) is not None:
        revoke_all_sessions(instance, reason=PASSWORD_CHANGED)
    elif not getattr(instance, "is_active", True) and (
        update_fields is None or "is_active" in update_fields
    ):
        revoke_all_sessions(instance, reason=USER_INACTIVE)


def _decode_refresh(raw_refresh: str) -> SessionRefreshToken:
    try:
        return SessionRefreshToken(raw_refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        raise SessionError("invalid refresh token") from exc


def _family_of(token: SessionRefreshToken) -> TokenFamily:
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
        raise SessionError("refresh token rotated moments ago (grace window)")
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
) -> IssuedSession:
    access = SessionAccessToken.issue(
        user_id=refresh.user_id,
        session_id=refresh.session_id,
        now=now,
        expires_at=min(now + jwt_settings().ACCESS_TOKEN_LIFETIME, absolute_expires_at),
        fingerprint_hash=refresh.get(FINGERPRINT_CLAIM),
    )
    return IssuedSession(
        access=str(access),
        refresh=str(refresh),
        refresh_expires_at=datetime_from_epoch(refresh["exp"]),
        family_id=uuid.UUID(refresh.session_id),
        fingerprint=fingerprint,
    )


def _leeway_seconds(leeway: Any) -> float:
    if isinstance(leeway, timedelta):
        return leeway.total_seconds()
    return float(leeway or 0)


def _prune_at_login(user: Any, now: datetime) -> None:
    # The user's own dead sessions go at every login (one indexed DELETE next to a password
    # hash), so a returning user never accumulates rows; the sessions of users who never come
    # back go in a batch on one login in APISEC_JWT_PRUNE_EVERY, or with apisec_prune_sessions.
    TokenFamily.objects.filter(user=user, idle_expires_at__lte=now).delete()
    every = apisec_settings.JWT_PRUNE_EVERY
    if every and secrets.randbelow(every) == 0:
        prune_sessions(now=now, max_batches=1)
