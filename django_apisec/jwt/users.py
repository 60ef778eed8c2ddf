"""The user of an access token without a database query per request, never stale.

Each worker process keeps the users it loaded for access tokens, each with the user's *version*
as the store held it then, for at most ``APISEC_USER_CACHE_SECONDS`` (0: off). The version is a
random value in the ``APISEC_CACHE`` store under the user's hash tag
(:func:`~django_apisec.jwt.revocation.user_version_key`); the authentication reads it in the
request's one round trip (:func:`~django_apisec.jwt.revocation.check_session`), so a cached user
is used only while its version is still the store's: any change replaces the version and every
worker loads the user again on its next request.

Changes that replace the version (receivers connected in ``AppConfig.ready()``): every save or
delete of a user (a password change, a deactivation, a changed flag), and every change of a
user's groups or permissions (``m2m_changed``). The version is replaced when the change happens
and again when its transaction commits, so a worker that loaded the row between the two cannot
keep it. A queryset ``update()`` sends no signal: it is seen within the cache's lifetime (or call
:func:`forget_user`). A revoked session is refused by its marker whatever the cache holds.

When the store cannot be reached, nothing is cached or reused: every request loads its user.
"""

from __future__ import annotations

import copy
import time
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from django_apisec.conf import apisec_settings
from django_apisec.jwt.revocation import user_version_key, version_timeout
from django_apisec.jwt.tokens import jwt_settings
from django_apisec.store.failures import FailureLog, StoreFailed, attempt

__all__ = [
    "cached_user",
    "forget_all_users",
    "forget_user",
    "forget_users_on_change",
    "forget_users_on_relation_change",
    "remember_user",
]

#: Most users a process keeps; past it the cache starts again empty (cheap, and rare).
MAX_USERS = 10_000

VERSION_FAILURE = FailureLog(
    "django_apisec.jwt.users",
    "Store %(alias)r unreachable while replacing a user's version; this process forgets its users",
)

# user id -> (version, loaded at (monotonic), user)
_users: dict[str, tuple[str, float, Any]] = {}


def cached_user(user_id: str, version: str | None) -> Any:
    """A copy of the user ``user_id`` loaded at ``version``, if still fresh; else ``None``."""
    seconds = apisec_settings.USER_CACHE_SECONDS
    entry = _users.get(user_id)
    if not version or not seconds or entry is None:
        return None
    cached_version, loaded_at, user = entry
    if cached_version != version or time.monotonic() - loaded_at >= seconds:
        return None
    # A copy per request: a view may change its request.user (and its caches of permissions).
    return copy.copy(user)


def remember_user(user_id: str, version: str | None, user: Any) -> None:
    """Keep ``user`` (just loaded from the database) for requests that find ``version``."""
    if not version or not apisec_settings.USER_CACHE_SECONDS:
        return
    if len(_users) >= MAX_USERS:
        _users.clear()
    _users[user_id] = (version, time.monotonic(), copy.copy(user))


def forget_user(user: Any) -> None:
    """Replace ``user``'s version: every process loads the user again on its next request.

    Done now and again when the current transaction commits. If the store cannot be reached this
    process forgets every user it holds (the failure is logged); other processes keep theirs for
    at most ``APISEC_USER_CACHE_SECONDS``.
    """
    user_id = str(getattr(user, jwt_settings().USER_ID_FIELD, None))
    _replace_version(user_id)
    transaction.on_commit(lambda: _replace_version(user_id))


def _replace_version(user_id: str) -> None:
    _users.pop(user_id, None)
    try:
        attempt(
            lambda store: store.set(user_version_key(user_id), uuid.uuid4().hex, version_timeout()),
            VERSION_FAILURE,
            policy="open",
        )
    except StoreFailed:
        _users.clear()


def forget_users_on_change(sender: Any, instance: Any, **kwargs: Any) -> None:  # noqa: ARG001
    """``post_save`` / ``post_delete`` receiver on the user model."""
    update_fields = kwargs.get("update_fields")
    if kwargs.get("raw") or (update_fields is not None and set(update_fields) == {"last_login"}):
        # Every login saves last_login: no decision depends on it, and logins stay cheap.
        return
    forget_user(instance)


def forget_users_on_relation_change(
    sender: Any,
    instance: Any,
    action: str,
    reverse: bool,
    pk_set: Any,
    **kwargs: Any,
) -> None:
    """``m2m_changed`` receiver on the user model's groups and permissions.

    A cached user holds no groups or permissions (each request's copy loads its own), so this
    is a second line: any change to what a user may do starts it afresh everywhere.
    """
    if not reverse:
        if action in {"post_add", "post_remove", "post_clear"}:
            forget_user(instance)
        return
    # group.user_set.add(...): the users are on the other side.
    user_model = get_user_model()
    if action in {"post_add", "post_remove"}:
        pks = list(pk_set or ())
    elif action == "pre_clear":
        user_field = next(f for f in sender._meta.fields if f.related_model is user_model)
        other = next(f for f in sender._meta.fields if f.related_model not in {None, user_model})
        pks = list(
            sender._default_manager.filter(**{other.name: instance}).values_list(
                user_field.attname, flat=True
            )
        )
    else:
        return
    for user in user_model._default_manager.filter(pk__in=pks):
        forget_user(user)


def forget_all_users(*, setting: str, **kwargs: Any) -> None:
    """``setting_changed`` receiver: a new store or cache lifetime starts with no users."""
    if setting in {"CACHES", "APISEC_CACHE", "APISEC_USER_CACHE_SECONDS", "AUTH_USER_MODEL"}:
        _users.clear()
