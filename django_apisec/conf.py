"""Flat ``APISEC_*`` settings, read from ``django.conf.settings`` on every access.

Nothing is cached here, so ``override_settings`` reaches every value in tests and nothing depends
on import order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings

PROFILES = ("development", "production")
DEFAULT_MAX_PAGE_SIZE = 100
DEFAULT_API_PREFIX = "/api/"
# Django's own default for DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB).
DEFAULT_MAX_BODY_SIZE = 2_621_440
DEFAULT_JSON_MAX_DEPTH = 32
DEFAULT_JSON_MAX_ITEMS = 10_000


def _positive_int(value: Any) -> int | None:
    """``value`` as a positive ``int``, or ``None`` (booleans, strings, zero and less refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


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
    def API_PREFIX(self) -> str:  # noqa: N802
        """Path prefix of the API (``"/api/"``): API headers, limits and JSON errors apply there.

        Always starts and ends with ``/``; a value that is not a non-empty string is the default.
        """
        value = self._get("API_PREFIX", DEFAULT_API_PREFIX)
        if not isinstance(value, str) or not value.strip("/"):
            return DEFAULT_API_PREFIX
        return f"/{value.strip('/')}/"

    @property
    def MAX_BODY_SIZE(self) -> int:  # noqa: N802
        """Largest request body (bytes) under the API prefix; larger bodies are a 413.

        Defaults to ``DATA_UPLOAD_MAX_MEMORY_SIZE``; when neither is a positive integer (e.g.
        ``DATA_UPLOAD_MAX_MEMORY_SIZE = None``), 2.5 MiB: a broken bound is never "no bound".
        """
        value = _positive_int(self._get("MAX_BODY_SIZE", None))
        if value is None:
            value = _positive_int(getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None))
        return DEFAULT_MAX_BODY_SIZE if value is None else value

    @property
    def JSON_MAX_DEPTH(self) -> int:  # noqa: N802
        """Deepest nesting of arrays and objects a JSON request body may have."""
        value = _positive_int(self._get("JSON_MAX_DEPTH", DEFAULT_JSON_MAX_DEPTH))
        return DEFAULT_JSON_MAX_DEPTH if value is None else value

    @property
    def JSON_MAX_ITEMS(self) -> int:  # noqa: N802
        """Most values (array elements and object members, at any depth) in a JSON body."""
        value = _positive_int(self._get("JSON_MAX_ITEMS", DEFAULT_JSON_MAX_ITEMS))
        return DEFAULT_JSON_MAX_ITEMS if value is None else value

    @property
    def HARDENING_REPORT(self) -> dict[str, str]:  # noqa: N802
        """Where each hardened setting came from (written by ``harden()``)."""
        value = self._get("HARDENING_REPORT", {})
        return dict(value) if isinstance(value, Mapping) else {}

    @property
    def JWT_PREVIOUS_KEYS(self) -> list[str]:  # noqa: N802
        """Keys that still verify JWTs after a key rotation (never used to sign).

        For HMAC algorithms these are previous ``SIGNING_KEY`` values; for asymmetric ones,
        previous ``VERIFYING_KEY`` (public key) values. A single string counts as one key.
        """
        value = self._get("JWT_PREVIOUS_KEYS", [])
        if isinstance(value, (str, bytes)):
            value = [value]
        return [str(key) for key in value or [] if key]

    @property
    def JWT_SESSION_MAX_AGE(self) -> timedelta:  # noqa: N802
        """Absolute lifetime of a login session (a token family), however often it refreshes."""
        return _duration(self._get("JWT_SESSION_MAX_AGE", timedelta(days=30)))

    @property
    def JWT_REUSE_GRACE_SECONDS(self) -> int:  # noqa: N802
        """Seconds in which the just-rotated refresh token fails with 401 without revoking."""
        return max(0, int(self._get("JWT_REUSE_GRACE_SECONDS", 0)))

    @property
    def JWT_REUSE_DEACTIVATES_USER(self) -> bool:  # noqa: N802
        """Also set ``is_active=False`` on the account when refresh-token reuse is detected."""
        return bool(self._get("JWT_REUSE_DEACTIVATES_USER", default=False))

    @property
    def JWT_BODY_TRANSPORT(self) -> bool:  # noqa: N802
        """Also return and accept the refresh token in the JSON body (non-browser clients)."""
        return bool(self._get("JWT_BODY_TRANSPORT", default=False))

    @property
    def JWT_COOKIE_SECURE(self) -> bool:  # noqa: N802
        """Send the session cookies with ``Secure`` and the ``__Secure-``/``__Host-`` prefix."""
        return bool(self._get("JWT_COOKIE_SECURE", self.PROFILE != "development"))

    @property
    def JWT_COOKIE_PATH(self) -> str | None:  # noqa: N802
        """``Path`` of the refresh cookie; ``None`` means the directory of the auth views."""
        value = self._get("JWT_COOKIE_PATH", None)
        return str(value) if value else None

    @property
    def JWT_FINGERPRINT(self) -> bool:  # noqa: N802
        """Bind access tokens to the browser with the OWASP fingerprint cookie."""
        return bool(self._get("JWT_FINGERPRINT", default=False))

    @property
    def JWT_PRUNE_EVERY(self) -> int:  # noqa: N802
        """On average one login in this many also prunes a batch of dead sessions (0: never)."""
        return max(0, int(self._get("JWT_PRUNE_EVERY", 100)))

    @property
    def JWT_PRUNE_BATCH_SIZE(self) -> int:  # noqa: N802
        """Rows deleted per statement when pruning dead sessions."""
        return max(1, int(self._get("JWT_PRUNE_BATCH_SIZE", 1000)))

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


def _duration(value: Any) -> timedelta:
    """A ``timedelta`` from a ``timedelta`` or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    return timedelta(seconds=float(value))


apisec_settings = ApisecSettings()
