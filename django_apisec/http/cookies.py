"""How django_apisec names and sets its cookies: one rule for every one of them.

Each cookie django_apisec sets (the JWT refresh and fingerprint cookies, the trusted-device
cookie) is ``HttpOnly``, so no script can read it, and ``SameSite=Strict``, so no request started
by another site carries it. Over https it is ``Secure`` and its name carries the strongest prefix
its attributes allow, which browsers enforce: ``__Host-`` (``Secure``, ``Path=/``, no ``Domain``:
no sibling subdomain can set or shadow it) where the path is ``/``, else ``__Secure-``. Browsers
drop a prefixed cookie that is not ``Secure``, so without https the plain name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from datetime import datetime

    from django.http import HttpResponseBase

__all__ = [
    "HOST_PREFIX",
    "PREFIXES",
    "SAMESITE",
    "SECURE_PREFIX",
    "cookie_name",
    "delete_cookie",
    "set_cookie",
]

HOST_PREFIX = "__Host-"
SECURE_PREFIX = "__Secure-"
#: The prefixes browsers enforce; a cookie name starting with one of them is bound to https.
PREFIXES = (HOST_PREFIX, SECURE_PREFIX)
SAMESITE: Final[Literal["Strict"]] = "Strict"


def cookie_name(name: str, *, secure: bool, host_only: bool) -> str:
    """``name`` with the prefix a cookie of these attributes earns.

    ``__Host-`` for a ``secure`` cookie that is ``host_only`` (``Path=/``, no ``Domain``),
    ``__Secure-`` for another ``secure`` cookie, no prefix for a cookie sent over http.
    """
    if not secure:
        return name
    return f"{HOST_PREFIX if host_only else SECURE_PREFIX}{name}"


def set_cookie(
    response: HttpResponseBase,
    name: str,
    value: str,
    *,
    secure: bool,
    path: str = "/",
    expires: datetime | None = None,
    max_age: int | None = None,
) -> None:
    """Set ``name`` on ``response``: ``HttpOnly``, ``SameSite=Strict``, ``Secure`` if ``secure``."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        expires=expires,
        path=path,
        secure=secure,
        httponly=True,
        samesite=SAMESITE,
    )


def delete_cookie(response: HttpResponseBase, name: str, *, path: str = "/") -> None:
    """Expire ``name`` on ``response`` (the ``path`` must be the one it was set with)."""
    # Django adds Secure itself for a __Host-/__Secure- name, which browsers require.
    response.delete_cookie(name, path=path, samesite=SAMESITE)
