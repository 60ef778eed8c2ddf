"""Trusted-device cookies: a device that logged in to an account keeps its own lockout bucket.

An attacker who hammers an account locks it for every client without this cookie; the owner's
browser, which logged in before, keeps trying within its own bucket (victim-lockout resistance).
The cookie is signed with ``SECRET_KEY``, names the account by a hash of its canonical username,
expires after ``APISEC_TRUSTED_DEVICE_AGE`` and is only issued after a successful login.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing

from django_apisec.conf import apisec_settings

if TYPE_CHECKING:
    from django.http import HttpResponseBase

SALT = "django_apisec.trusted-device"
ISSUED_ATTR = "apisec_trusted_device"


def cookie_name() -> str:
    """``__Host-apisec_device`` where cookies are Secure, ``apisec_device`` otherwise."""
    return "__Host-apisec_device" if cookie_secure() else "apisec_device"


def cookie_secure() -> bool:
    """The device cookie is Secure exactly when the session cookie is."""
    return bool(getattr(settings, "SESSION_COOKIE_SECURE", False))


def account_tag(username: str) -> str:
    """The account as the cookie names it: a hash, so the cookie does not reveal the name."""
    return hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def issue(request: Any, username: str) -> str:
    """A new signed device token for ``username`` (canonical), remembered on the request.

    :func:`set_cookie` (or :class:`TrustedDeviceMiddleware`) writes it on the response.
    """
    device = secrets.token_hex(16)
    token = signing.dumps({"a": account_tag(username), "d": device}, salt=SALT)
    if request is not None:
        setattr(getattr(request, "_request", request), ISSUED_ATTR, token)
    return token


def device_for(request: Any, username: str) -> str | None:
    """The device id of the request's valid trusted-device cookie for ``username``, or ``None``."""
    cookies = getattr(request, "COOKIES", None)
    token = cookies.get(cookie_name()) if isinstance(cookies, dict) else None
    if not token:
        return None
    try:
        data = signing.loads(token, salt=SALT, max_age=apisec_settings.TRUSTED_DEVICE_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("a") != account_tag(username):
        return None
    device = data.get("d")
    return device if isinstance(device, str) else None


def set_cookie(request: Any, response: HttpResponseBase) -> None:
    """Write the device token issued during this request (if any) on ``response``."""
    token = getattr(getattr(request, "_request", request), ISSUED_ATTR, None)
    if token:
        response.set_cookie(
            cookie_name(),
            token,
            max_age=apisec_settings.TRUSTED_DEVICE_AGE,
            path="/",
            secure=cookie_secure(),
            httponly=True,
            samesite="Strict",
        )


class TrustedDeviceMiddleware:
    """Sets the trusted-device cookie after a successful login through ``authenticate()``.

    Add ``"django_apisec.abuse.devices.TrustedDeviceMiddleware"`` to ``MIDDLEWARE`` (anywhere after
    ``SecurityMiddleware``); a login view may call ``set_cookie()`` itself instead.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> HttpResponseBase:
        """Pass the request on; add the cookie to the response when one was issued."""
        response: HttpResponseBase = self.get_response(request)
        set_cookie(request, response)
        return response
