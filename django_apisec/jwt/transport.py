"""How the tokens of a JWT session travel between the server and the client.

The access token travels in the JSON body (the client keeps it in memory). The refresh token
travels in a cookie that is ``HttpOnly``, ``SameSite=Strict``, scoped to the directory of the
session views and, over https, ``Secure`` with the ``__Secure-`` prefix (the cookie rules of
:mod:`django_apisec.http.cookies`). ``APISEC_JWT_BODY_TRANSPORT`` also returns and accepts it in
the body for clients without a cookie jar; a refresh cookie, when sent, always wins over the body.
With ``APISEC_JWT_FINGERPRINT``, a ``__Host-`` fingerprint cookie binds access tokens to the
browser that logged in.

Because a browser attaches the refresh cookie by itself, the views that spend it refuse requests
from origins the project does not trust (:func:`check_origin`).
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from django_apisec.conf import apisec_settings
from django_apisec.http import cookies
from django_apisec.http.origins import origin_trusted
from django_apisec.request.state import django_request

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request

    from django_apisec.jwt.families import IssuedSession

__all__ = [
    "FINGERPRINT_COOKIE",
    "REFRESH_COOKIE",
    "check_origin",
    "clear_session_cookies",
    "cookie_path",
    "fingerprint_cookie_name",
    "presented_refresh_token",
    "refresh_cookie_name",
    "session_response",
    "set_session_cookies",
]

#: The cookies' names before their prefix (:func:`django_apisec.http.cookies.cookie_name`).
REFRESH_COOKIE = "apisec_refresh"
FINGERPRINT_COOKIE = "apisec_fgp"


def refresh_cookie_name() -> str:
    """Name of the refresh-token cookie: ``__Secure-apisec_refresh`` over https.

    ``__Secure-``, not ``__Host-``: the cookie is scoped to the session views' path.
    """
    secure = apisec_settings.JWT_COOKIE_SECURE
    return cookies.cookie_name(REFRESH_COOKIE, secure=secure, host_only=False)


def fingerprint_cookie_name() -> str:
    """Name of the sidejacking fingerprint cookie: ``__Host-apisec_fgp`` over https."""
    secure = apisec_settings.JWT_COOKIE_SECURE
    return cookies.cookie_name(FINGERPRINT_COOKIE, secure=secure, host_only=True)


def cookie_path(request: HttpRequest) -> str:
    """``Path`` of the refresh cookie: ``APISEC_JWT_COOKIE_PATH`` or the views' directory."""
    return apisec_settings.JWT_COOKIE_PATH or posixpath.dirname(request.path.rstrip("/")) + "/"


def set_session_cookies(response: Response, request: HttpRequest, issued: IssuedSession) -> None:
    """Set the refresh cookie (and the fingerprint cookie) for ``issued``."""
    secure = apisec_settings.JWT_COOKIE_SECURE
    cookies.set_cookie(
        response,
        refresh_cookie_name(),
        issued.refresh,
        expires=issued.refresh_expires_at,
        path=cookie_path(request),
        secure=secure,
    )
    fingerprint = issued.fingerprint or request.COOKIES.get(fingerprint_cookie_name())
    if apisec_settings.JWT_FINGERPRINT and fingerprint:
        cookies.set_cookie(
            response,
            fingerprint_cookie_name(),
            fingerprint,
            expires=issued.refresh_expires_at,
            secure=secure,
        )


def clear_session_cookies(response: Response, request: HttpRequest) -> None:
    """Expire the refresh and fingerprint cookies."""
    cookies.delete_cookie(response, refresh_cookie_name(), path=cookie_path(request))
    if apisec_settings.JWT_FINGERPRINT:
        cookies.delete_cookie(response, fingerprint_cookie_name())


def session_response(request: Request, issued: IssuedSession, status: int) -> Response:
    """The answer that hands ``issued`` to the client: ``{"access"}`` and the cookies."""
    body: dict[str, Any] = {"access": issued.access}
    if apisec_settings.JWT_BODY_TRANSPORT:
        body["refresh"] = issued.refresh
    # Token responses are never stored by a browser or proxy cache (as RFC 6749 5.1 requires).
    response = Response(body, status=status, headers={"Cache-Control": "no-store"})
    set_session_cookies(response, django_request(request), issued)
    return response


def presented_refresh_token(request: Request) -> str | None:
    """The refresh token of the request: the cookie, else (if enabled) the body's ``refresh``."""
    cookie = request.COOKIES.get(refresh_cookie_name())
    if cookie:
        return str(cookie)
    if apisec_settings.JWT_BODY_TRANSPORT and isinstance(request.data, dict):
        body = request.data.get("refresh")
        if isinstance(body, str) and body:
            return body
    return None


def check_origin(request: Request) -> None:
    """Refuse a browser request from an untrusted origin to a cookie-authenticated view.

    SameSite=Strict keeps cross-site requests from carrying the cookie; this also stops a sibling
    subdomain (same site, other origin). Trust comes from Django's CSRF origin check and
    django-cors-headers' allow-list (:func:`django_apisec.http.origins.origin_trusted`); clients
    that send no ``Origin`` pass.
    """
    if not origin_trusted(django_request(request)):
        raise PermissionDenied("Origin not allowed.", code="origin_not_allowed")
