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
from django_apisec.http import cookies
from django_apisec.http.sync_async import SyncAsyncMiddleware
from django_apisec.request.state import state_of

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

__all__ = [
    "TrustedDeviceMiddleware",
    "account_tag",
    "cookie_name",
    "cookie_secure",
    "device_for",
    "issue",
    "set_cookie",
]

SALT = "django_apisec.trusted-device"
#: The cookie's name before its prefix (:func:`django_apisec.http.cookies.cookie_name`).
COOKIE_NAME = "apisec_device"


def cookie_name() -> str:
    """``__Host-apisec_device`` where cookies are Secure, ``apisec_device`` otherwise."""
    return cookies.cookie_name(COOKIE_NAME, secure=cookie_secure(), host_only=True)


def cookie_secure() -> bool:
    """The device cookie is Secure exactly when the session cookie is."""
    return bool(getattr(settings, "SESSION_COOKIE_SECURE", False))


def account_tag(username: str) -> str:
    """The account as the cookie names it: a hash, so the cookie does not reveal the name."""
    return hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def issue(request: Any, username: str) -> str:
    """A new signed device token for ``username`` (canonical), kept in the request's state.

    :func:`set_cookie` (or :class:`TrustedDeviceMiddleware`) writes it on the response.
    """
    device = secrets.token_hex(16)
    token = signing.dumps({"a": account_tag(username), "d": device}, salt=SALT)
    if request is not None:
        state_of(request).trusted_device_token = token
    return token


def device_for(request: Any, username: str) -> str | None:
    """The device id of the request's valid trusted-device cookie for ``username``, or ``None``."""
    jar = getattr(request, "COOKIES", None)
    token = jar.get(cookie_name()) if isinstance(jar, dict) else None
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
    token = state_of(request).trusted_device_token
    if token:
        cookies.set_cookie(
            response,
            cookie_name(),
            token,
            max_age=apisec_settings.TRUSTED_DEVICE_AGE,
            secure=cookie_secure(),
        )


class TrustedDeviceMiddleware(SyncAsyncMiddleware):
    """Sets the trusted-device cookie after a successful login through ``authenticate()``.

    Add ``"django_apisec.abuse.devices.TrustedDeviceMiddleware"`` to ``MIDDLEWARE`` (anywhere after
    ``SecurityMiddleware``); a login view may call ``set_cookie()`` itself instead. Sync- and
    async-capable.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """Add the cookie to the response when the login issued a device token."""
        set_cookie(request, response)
        return response
