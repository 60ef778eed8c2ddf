"""Flat ``APISEC_*`` settings, read from ``django.conf.settings`` on every access.

Nothing is cached here, so ``override_settings`` reaches every value in tests and nothing depends
on import order.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

PROFILES = ("development", "production")


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
        value = self._get("TRUSTED_PROXIES", [])
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return [str(item) for item in value]

    @property
    def CACHE(self) -> str:  # noqa: N802
        """Alias of the cache holding abuse-control state (throttles, lockout counters)."""
        return str(self._get("CACHE", "default"))

    @property
    def MAX_PAGE_SIZE(self) -> int:  # noqa: N802
        """Largest page a client may ask for with ``?page_size=``."""
        return int(self._get("MAX_PAGE_SIZE", 100))

    @property
    def HARDENING_REPORT(self) -> dict[str, str]:  # noqa: N802
        """Where each hardened setting came from (written by ``harden()``)."""
        return dict(self._get("HARDENING_REPORT", {}))


apisec_settings = ApisecSettings()
