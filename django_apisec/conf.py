"""Flat ``APISEC_*`` settings, read from ``django.conf.settings`` on every access.

Nothing is cached here, so ``override_settings`` reaches every value in tests and nothing depends
on import order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings

PROFILES = ("development", "production")
DEFAULT_MAX_PAGE_SIZE = 100
FAILURE_POLICIES = ("closed", "open")
DEFAULT_LOCKOUT_THRESHOLD = 5
# Each lock of the same account lasts longer: 1 min, 5 min, 15 min, 1 h, 6 h, then 24 h.
DEFAULT_LOCKOUT_PERIODS = (60, 300, 900, 3600, 21600, 86400)
DEFAULT_LOCKOUT_WINDOW = 3600
DEFAULT_TRUSTED_DEVICE_AGE = 30 * 86400


def positive_int(value: Any, default: int) -> int:
    """``value`` as a positive integer, or ``default`` when it is not one (never a crash)."""
    if isinstance(value, bool):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def parse_trusted_proxies(value: Any) -> list[str]:
    """``APISEC_TRUSTED_PROXIES`` as a list: a comma-separated string or an iterable of CIDRs.

    ``None`` or any other non-iterable value means no trusted proxy: a misconfiguration must
    never make a forged ``X-Forwarded-For`` believed.
    """
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=str)
    if isinstance(value, (list, tuple)):
        return [str(item).strip() for item in value if str(item).strip()]
    return []


class ApisecSettings:
    """Typed accessors for the ``APISEC_*`` settings, with their documented defaults."""

    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, f"APISEC_{name}", default)

    @property
    def PROFILE(self) -> str:  # noqa: N802
        """``development`` or ``production``; set by :func:`~django_apisec.hardening.harden`."""
        return str(self._get("PROFILE", "production"))

    @property
    def TRUSTED_PROXIES(self) -> list[str]:  # noqa: N802
        """CIDRs of the reverse proxies whose ``X-Forwarded-*`` headers are believed."""
        return parse_trusted_proxies(self._get("TRUSTED_PROXIES", []))

    @property
    def CACHE(self) -> str:  # noqa: N802
        """Alias of the cache holding abuse-control state (throttles, lockout counters)."""
        return str(self._get("CACHE", "default"))

    @property
    def MAX_PAGE_SIZE(self) -> int | None:  # noqa: N802
        """Largest page a client may ask for with ``?page_size=``; ``None`` when unusable.

        The value must be a positive integer. DRF reads a falsy ``max_page_size`` as "no bound",
        so anything else is reported as ``None``: the paginator then ignores ``?page_size=``
        (fails closed) and ``apisec.E108`` reports the setting.
        """
        value = self._get("MAX_PAGE_SIZE", DEFAULT_MAX_PAGE_SIZE)
        if isinstance(value, bool):
            return None
        try:
            size = int(value)
        except (TypeError, ValueError):
            return None
        return size if size > 0 else None

    @property
    def HARDENING_REPORT(self) -> dict[str, str]:  # noqa: N802
        """Where each hardened setting came from (written by ``harden()``)."""
        value = self._get("HARDENING_REPORT", {})
        return dict(value) if isinstance(value, Mapping) else {}

    @property
    def FAILURE_POLICY(self) -> str:  # noqa: N802
        """What throttles and the lockout do when their cache fails: ``closed`` or ``open``.

        Anything but ``"open"`` is closed: a typo must not switch the protection off.
        """
        return "open" if self._get("FAILURE_POLICY", "closed") == "open" else "closed"

    @property
    def LOCKOUT_THRESHOLD(self) -> int:  # noqa: N802
        """Failed logins of one account (per client bucket) before it locks."""
        return positive_int(self._get("LOCKOUT_THRESHOLD", None), DEFAULT_LOCKOUT_THRESHOLD)

    @property
    def LOCKOUT_PERIODS(self) -> tuple[int, ...]:  # noqa: N802
        """Seconds of the 1st, 2nd, ... lock of an account; the last repeats."""
        value = self._get("LOCKOUT_PERIODS", DEFAULT_LOCKOUT_PERIODS)
        if isinstance(value, (list, tuple)):
            periods = tuple(positive_int(item, 0) for item in value)
            if periods and all(periods):
                return periods
        return DEFAULT_LOCKOUT_PERIODS

    @property
    def LOCKOUT_WINDOW(self) -> int:  # noqa: N802
        """Seconds failed logins are remembered (from the first failure) while not locked."""
        return positive_int(self._get("LOCKOUT_WINDOW", None), DEFAULT_LOCKOUT_WINDOW)

    @property
    def TRUSTED_DEVICE_AGE(self) -> int:  # noqa: N802
        """Seconds a trusted-device cookie (set after a successful login) stays valid."""
        return positive_int(self._get("TRUSTED_DEVICE_AGE", None), DEFAULT_TRUSTED_DEVICE_AGE)


apisec_settings = ApisecSettings()
