"""Revoking login sessions: a family, or all of a user's, and the markers that end access tokens.

A revoked family (:class:`~django_apisec.models.TokenFamily`) accepts no further refresh. Access
tokens are not looked up in the database: revoking writes a marker into the ``APISEC_CACHE``
cache for as long as an access token of the family can live, and authentication reads that one key
per request (:func:`is_session_revoked`). A password change or deactivation revokes every session
of the user (:func:`revoke_on_credential_change`, connected in ``AppConfig.ready()``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.cache import caches
from django.utils import timezone

from django_apisec.abuse import limiter
from django_apisec.conf import apisec_settings
from django_apisec.jwt.tokens import jwt_settings
from django_apisec.models import TokenFamily
from django_apisec.signals import sessions_revoked

if TYPE_CHECKING:
    from collections.abc import Iterable

security_logger = logging.getLogger("django_apisec.security")

MARKER_PREFIX = "apisec:jwt:revoked:"

# Revocation reasons, stored in TokenFamily.revoked_reason and sent with sessions_revoked.
LOGOUT = "logout"
LOGOUT_ALL = "logout_all"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason, not a password
USER_INACTIVE = "user_inactive"
REUSE = "reuse"


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


def _leeway_seconds(leeway: Any) -> float:
    if isinstance(leeway, timedelta):
        return leeway.total_seconds()
    return float(leeway or 0)
