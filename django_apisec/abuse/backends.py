"""``LockoutModelBackend``: Django's ``ModelBackend`` behind the lockout engine.

Every caller of ``django.contrib.auth.authenticate()`` / ``aauthenticate()`` (the admin, a DRF or
JWT login view, a plain form) gets the lockout without knowing about it: the attempt is reserved
before the password is checked (for a user with a second factor, the attempt stays counted until
that factor is right), and a refused attempt raises ``PermissionDenied``, which makes
``authenticate()`` return ``None`` without asking any later backend. A login view that wants to
answer 429 calls :func:`django_apisec.abuse.lockout.raise_for_lockout` after a ``None``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from django_apisec.abuse import lockout
from django_apisec.abuse.throttling import refund_login_throttles
from django_apisec.abuse.usernames import submitted_username
from django_apisec.models import has_second_factor

if TYPE_CHECKING:
    from django.contrib.auth.models import _User
    from django.http import HttpRequest


__all__ = ["LockoutModelBackend"]


class LockoutModelBackend(ModelBackend):
    """``ModelBackend`` with per-account lockout (see ``django_apisec.abuse.lockout``)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> _User | None:
        """Reserve, check the password only when admitted, then record the outcome."""
        name = submitted_username({"username": username, **kwargs})
        if name is None or password is None:
            return None
        attempt = lockout.reserve(request, name)
        if not attempt.admitted:
            # Stop here: no hash is computed, and no later backend gets a try.
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            lockout.record_failure(request, attempt)
        elif has_second_factor(user):
            # Half a login: the bucket is cleared and the device trusted only by the second
            # factor (django_apisec.mfa.factors), or the password would buy fresh code guesses.
            pass
        else:
            lockout.record_success(request, attempt)
            refund_login_throttles(request)
        return user

    async def aauthenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> _User | None:
        """The same, for ``aauthenticate()`` (one body: the sync one, in a thread)."""
        return await sync_to_async(self.authenticate)(request, username, password, **kwargs)
