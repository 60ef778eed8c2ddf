"""Revoking login sessions: a family, or all of a user's, and the markers that end access tokens.

A revoked family (:class:`~django_apisec.models.TokenFamily`) accepts no further refresh. Access
tokens are not looked up in the database: revoking writes a marker into the ``APISEC_CACHE``
store (:mod:`django_apisec.store`, one single-key write per family) for as long as an access token
of the family can live, and authentication checks it on every request. A password change or
deactivation revokes every session of the user (:func:`revoke_on_credential_change`, connected
in ``AppConfig.ready()``).

Each marker is written twice: under the user's hash tag (:func:`session_marker_key`), where
:func:`check_session` reads it in the request's one round trip together with the user's version
(:mod:`django_apisec.jwt.users`) and the decisions of the user's throttles; and under
:func:`marker_key` (no tag), which :func:`is_session_revoked` reads, and which processes of an
earlier release read during a rolling upgrade.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from django_apisec.abuse import limiter, throttling
from django_apisec.conf import apisec_settings
from django_apisec.http.unavailable import ServiceUnavailable
from django_apisec.jwt.tokens import jwt_settings
from django_apisec.models import TokenFamily
from django_apisec.signals import sessions_revoked
from django_apisec.store.failures import CLOSED, OPEN, FailureLog, StoreFailed, attempt

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rest_framework.request import Request

    from django_apisec.jwt.tokens import SessionAccessToken

__all__ = [
    "SessionCheck",
    "check_session",
    "is_session_revoked",
    "mark_revoked",
    "marker_key",
    "revoke_all_sessions",
    "revoke_family",
    "revoke_on_credential_change",
    "session_marker_key",
    "user_version_key",
]

#: Logged (at most once per 10 s per process) when the revocation check cannot reach the store.
CHECK_FAILURE = FailureLog(
    "django_apisec.security",
    "Session revocation cache unreachable; access token accepted",
    event="revocation_cache_unavailable",
)

#: Logged (at most once per 10 s per process) when a revocation marker cannot be written.
MARK_FAILURE = FailureLog(
    "django_apisec.security",
    "Session revocation cache unreachable; revocation refused with 503",
    event="revocation_cache_unavailable",
)

MARKER_PREFIX = "apisec:jwt:revoked:"

# Revocation reasons, stored in TokenFamily.revoked_reason and sent with sessions_revoked.
LOGOUT = "logout"
LOGOUT_ALL = "logout_all"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason, not a password
USER_INACTIVE = "user_inactive"
REUSE = "reuse"
SESSION_ENDED = "session_ended"


def revoke_family(family_id: uuid.UUID | str, *, reason: str, user: Any = None) -> bool:
    """Revoke one family and its access tokens. Returns whether it was live until now.

    When the marker cannot be written, nothing is revoked (the database update is rolled back)
    and :class:`~django_apisec.http.ServiceUnavailable` (503) is raised.
    """
    now = timezone.now()
    owner = user
    if owner is None:
        family = TokenFamily.objects.select_related("user").filter(pk=family_id).first()
        owner = None if family is None else family.user
    with transaction.atomic():
        revoked = TokenFamily.objects.filter(pk=family_id, revoked_at__isnull=True).update(
            revoked_at=now, revoked_reason=reason, idle_expires_at=now
        )
        # Marked even when it was already revoked: the marker of an earlier revocation may be
        # lost.
        mark_revoked([family_id], user_id=None if owner is None else _token_user_id(owner))
    if revoked:
        sessions_revoked.send(
            sender=TokenFamily, user=user, family_ids=[uuid.UUID(str(family_id))], reason=reason
        )
    return bool(revoked)


def revoke_all_sessions(user: Any, *, reason: str) -> int:
    """Revoke every live family of ``user`` and their access tokens. Returns how many.

    When the markers cannot be written, nothing is revoked (the database update is rolled back,
    and so is the caller's, a password change, when it runs in a transaction) and
    :class:`~django_apisec.http.ServiceUnavailable` (503) is raised.
    """
    now = timezone.now()
    with transaction.atomic():
        revoked = TokenFamily.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=now, revoked_reason=reason, idle_expires_at=now
        )
        if not revoked:
            return 0
        # The rows this call revoked carry its exact timestamp; a family started concurrently
        # either was revoked here (and is found) or is newer than this revocation.
        family_ids = list(
            TokenFamily.objects.filter(user=user, revoked_at=now).values_list("pk", flat=True)
        )
        mark_revoked(family_ids, user_id=_token_user_id(user))
    sessions_revoked.send(sender=TokenFamily, user=user, family_ids=family_ids, reason=reason)
    return int(revoked)


def marker_key(family_id: uuid.UUID | str) -> str:
    """Cache key of the revocation marker of a family."""
    return f"{MARKER_PREFIX}{family_id}"


def session_marker_key(user_id: str, family_id: uuid.UUID | str) -> str:
    """The marker of a family under its user's hash tag (``user_id``: the token's user claim).

    ``apisec:jwt:revoked:{user:<sha256>}:<family>``: the first ``{...}`` of a key is its hash
    tag, wherever it stands.
    """
    return f"{MARKER_PREFIX}{limiter.user_tag(user_id)}:{family_id}"


def user_version_key(user_id: str) -> str:
    """The key of a user's version (see :mod:`django_apisec.jwt.users`), under its hash tag."""
    return limiter.user_key(user_id, "version")


def version_timeout() -> float:
    """Seconds a user's version lives: longer than any process keeps a user loaded under it."""
    return 2 * max(apisec_settings.USER_CACHE_SECONDS, 1) + 60


def mark_revoked(family_ids: Iterable[uuid.UUID | str], *, user_id: str | None = None) -> None:
    """Write revocation markers that outlive every access token of these families.

    One single-key write per marker (pipelined on Redis): :func:`marker_key` for each family
    and, given the user's token id, :func:`session_marker_key`. When the store fails, the
    revocation is not complete: the failure is logged (``revocation_cache_unavailable``, at most
    once per 10 s per process) and :class:`~django_apisec.http.ServiceUnavailable` is raised
    (503 with ``Retry-After``, whatever ``APISEC_FAILURE_POLICY`` says: a logout must not claim
    success).
    """
    config = jwt_settings()
    timeout = config.ACCESS_TOKEN_LIFETIME.total_seconds() + _leeway_seconds(config.LEEWAY) + 1
    families = list(family_ids)
    keys = [marker_key(family_id) for family_id in families]
    if user_id is not None:
        keys += [session_marker_key(user_id, family_id) for family_id in families]
    try:
        attempt(lambda store: store.mark(keys, int(timeout)), MARK_FAILURE, policy=CLOSED)
    except StoreFailed as exc:
        raise ServiceUnavailable from exc


@dataclass(frozen=True)
class SessionCheck:
    """What :func:`check_session` learned in its one round trip."""

    revoked: bool
    #: The user's version (see :mod:`django_apisec.jwt.users`); ``None`` when the store failed.
    version: str | None


def check_session(request: Request, token: SessionAccessToken) -> SessionCheck:
    """Whether the token's session was revoked; the user's version; the user's throttles ahead.

    One round trip (one script, every key under the user's hash tag): the session's marker, the
    user's version, and a hit for each throttle of the view whose bucket is the user
    (:func:`~django_apisec.abuse.throttling.prefetched_hits`), counted only when the session is
    live; the throttles then take these decisions instead of asking the store again.

    When the store cannot be reached the session counts as live, whatever
    ``APISEC_FAILURE_POLICY`` says (failing closed would log out everyone; the access token still
    expires within ``ACCESS_TOKEN_LIFETIME``, and refreshing is checked in the database); the
    outage is logged as a ``revocation_cache_unavailable`` security event, at most once per 10 s
    per process, and the throttles ask the store themselves (and apply their own policy).
    """
    user_id = token.user_id
    hits = throttling.prefetched_hits(request, user_id) if _claim_is_pk() else []
    try:
        outcome = limiter.gated_hits(
            session_marker_key(user_id, token.session_id),
            user_version_key(user_id),
            hits,
            CHECK_FAILURE,
            version_timeout=version_timeout(),
            context={"family_id": token.session_id},
        )
    except StoreFailed:
        return SessionCheck(revoked=False, version=None)
    if outcome.gated:
        return SessionCheck(revoked=True, version=None)
    throttling.keep_prefetched(request, hits, outcome.decisions)
    return SessionCheck(revoked=False, version=outcome.version)


def is_session_revoked(family_id: str) -> bool:
    """Whether the family of an access token was revoked: one existence check (``EXISTS``).

    When the store cannot be reached the session counts as live, whatever
    ``APISEC_FAILURE_POLICY`` says (failing closed would log out everyone; the access token still
    expires within ``ACCESS_TOKEN_LIFETIME``, and refreshing is checked in the database); the
    outage is logged as a ``revocation_cache_unavailable`` security event, at most once per 10 s
    per process.
    """
    key = marker_key(family_id)
    try:
        return attempt(
            lambda store: store.exists(key),
            CHECK_FAILURE,
            policy=OPEN,
            context={"family_id": family_id},
        )
    except StoreFailed:
        return False


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


def _claim_is_pk() -> bool:
    # The throttles' user buckets are named by the primary key; the token carries USER_ID_FIELD.
    field = jwt_settings().USER_ID_FIELD
    primary_key = get_user_model()._meta.pk
    return bool(field == "pk" or (primary_key is not None and field == primary_key.name))


def _token_user_id(user: Any) -> str:
    # The user claim of the user's tokens (as django_apisec.jwt.families.user_token_id).
    return str(getattr(user, jwt_settings().USER_ID_FIELD))


def _leeway_seconds(leeway: Any) -> float:
    if isinstance(leeway, timedelta):
        return leeway.total_seconds()
    return float(leeway or 0)
