"""The end of every successful login: password, second factor or passkey.

Once every factor the account has is proved, the login starts a token family, records
``authentication_succeeded``, answers the access token with the refresh cookie, and gives this
device its own lockout bucket (:mod:`django_apisec.abuse.devices`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import status

from django_apisec.abuse import devices
from django_apisec.jwt.families import start_session
from django_apisec.jwt.transport import session_response
from django_apisec.observability import events
from django_apisec.request.clients import describe_client
from django_apisec.request.state import django_request

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.response import Response

__all__ = ["complete_login"]


def complete_login(request: Request, user: Any, **details: Any) -> Response:
    """Start ``user``'s session and answer it; ``details`` go into the success event.

    Call it only when every factor is proved: the device cookie it sets is what keeps a client
    that holds a password alone from getting a fresh bucket of second-factor guesses.
    """
    issued = start_session(user, client=describe_client(django_request(request)))
    events.record(
        events.AUTHENTICATION_SUCCEEDED,
        request=request,
        user=user,
        outcome=events.SUCCESS,
        family_id=str(issued.family_id),
        **details,
    )
    response = session_response(request, issued, status.HTTP_200_OK)
    devices.set_cookie(request, response)
    return response
