"""Abuse controls: the rate limiter, throttles, the account lockout, trusted devices, bounded
password hashing.

Import the public names from here (``from django_apisec.abuse import ...``, docs/api.rst). They
are loaded on first access: importing this package imports neither DRF nor a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_apisec import lazy_exports

if TYPE_CHECKING:
    from django_apisec.abuse.backends import LockoutModelBackend
    from django_apisec.abuse.devices import TrustedDeviceMiddleware
    from django_apisec.abuse.hashing import (
        Argon2idPasswordHasher,
        HashingBusy,
        busy_hashing_slots,
        hashing_slots,
    )
    from django_apisec.abuse.limiter import LimiterUnavailable
    from django_apisec.abuse.lockout import LockedOut, raise_for_lockout, unlock
    from django_apisec.abuse.throttling import (
        AnonRateThrottle,
        LoginAccountRateThrottle,
        LoginIPRateThrottle,
        RateThrottle,
        ScopedRateThrottle,
        UserRateThrottle,
        ratelimit_rate,
    )
    from django_apisec.abuse.usernames import canonical_username

__all__ = [
    "AnonRateThrottle",
    "Argon2idPasswordHasher",
    "HashingBusy",
    "LimiterUnavailable",
    "LockedOut",
    "LockoutModelBackend",
    "LoginAccountRateThrottle",
    "LoginIPRateThrottle",
    "RateThrottle",
    "ScopedRateThrottle",
    "TrustedDeviceMiddleware",
    "UserRateThrottle",
    "busy_hashing_slots",
    "canonical_username",
    "hashing_slots",
    "raise_for_lockout",
    "ratelimit_rate",
    "unlock",
]

# Grouped by defining module: a module that moves changes one group.
_EXPORTS = {
    # backends
    "LockoutModelBackend": "django_apisec.abuse.backends",
    # devices
    "TrustedDeviceMiddleware": "django_apisec.abuse.devices",
    # hashing
    "Argon2idPasswordHasher": "django_apisec.abuse.hashing",
    "HashingBusy": "django_apisec.abuse.hashing",
    "busy_hashing_slots": "django_apisec.abuse.hashing",
    "hashing_slots": "django_apisec.abuse.hashing",
    # limiter
    "LimiterUnavailable": "django_apisec.abuse.limiter",
    # lockout
    "LockedOut": "django_apisec.abuse.lockout",
    "raise_for_lockout": "django_apisec.abuse.lockout",
    "unlock": "django_apisec.abuse.lockout",
    # throttling
    "AnonRateThrottle": "django_apisec.abuse.throttling",
    "LoginAccountRateThrottle": "django_apisec.abuse.throttling",
    "LoginIPRateThrottle": "django_apisec.abuse.throttling",
    "RateThrottle": "django_apisec.abuse.throttling",
    "ScopedRateThrottle": "django_apisec.abuse.throttling",
    "UserRateThrottle": "django_apisec.abuse.throttling",
    "ratelimit_rate": "django_apisec.abuse.throttling",
    # usernames
    "canonical_username": "django_apisec.abuse.usernames",
}


def __getattr__(name: str) -> object:
    return lazy_exports.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return lazy_exports.names(globals(), _EXPORTS)
