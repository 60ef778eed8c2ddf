"""Step-up re-authentication: actions that need a recent proof of every factor.

Every access token carries ``auth_time``, when the user last proved their factors (the login, or
``POST /api/auth/reauth/``); refreshing keeps it. :class:`RecentAuthentication` refuses a request
whose token's ``auth_time`` is older than ``APISEC_REAUTH_MAX_AGE`` (or a view's own bound) with
403 ``reauthentication_required``: a stolen access token, or a browser left open, cannot change
the password or remove a factor without the password (and the second factor) again.

It sits in the request layer (it reads only the request's ``auth`` and a setting), so every view
above it -- the JWT, MFA and passkey views, API key management -- can require it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rest_framework.permissions import BasePermission

from django_apisec.conf import apisec_settings

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

__all__ = ["REAUTHENTICATION_REQUIRED", "RecentAuthentication", "requires_recent_auth"]

REAUTHENTICATION_REQUIRED = "reauthentication_required"


class RecentAuthentication(BasePermission):
    """The access token's ``auth_time`` is at most ``max_age`` seconds old.

    ``max_age`` ``None`` (the default) reads ``APISEC_REAUTH_MAX_AGE`` on every request. A token
    without ``auth_time`` (an API key, a token from before this release) is never recent.
    """

    message = "Re-authenticate (POST /api/auth/reauth/) to do this."
    code = REAUTHENTICATION_REQUIRED
    max_age: int | None = None

    def has_permission(self, request: Request, view: APIView) -> bool:
        """Whether the requester proved their factors recently enough."""
        auth_time = getattr(request.auth, "auth_time", None)
        if type(auth_time) is not int:
            return False
        max_age = apisec_settings.REAUTH_MAX_AGE if self.max_age is None else self.max_age
        return time.time() - auth_time <= max_age


def requires_recent_auth(max_age: int) -> type[RecentAuthentication]:
    """A :class:`RecentAuthentication` with its own bound: ``requires_recent_auth(60)``."""
    attributes: dict[str, Any] = {"max_age": max_age, "__doc__": RecentAuthentication.__doc__}
    return type(f"RecentAuthentication{max_age}", (RecentAuthentication,), attributes)
