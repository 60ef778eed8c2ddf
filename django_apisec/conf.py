"""Flat ``APISEC_*`` settings, read from ``django.conf.settings`` on every access.

Nothing is cached here, so ``override_settings`` reaches every value in tests and nothing depends
on import order.

Every setting is declared once in ``SETTINGS``: its type, default, usable values and the check id
that reports an unusable value. One rule reads them all: a value of the declared type within the
declared range is used as it is (no conversion: ``"5000"`` is not an ``int``, ``1`` is not a
``bool``); any other value is replaced by the setting's fail-closed ``fallback``, so no request
ever fails because of it, and the configuration check (:mod:`django_apisec.checks.settings`)
reports it on every ``manage.py check``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from django.conf import settings

from django_apisec.rates import parse_rate

T = TypeVar("T")

PROFILES = ("development", "production")
FAILURE_POLICIES = ("closed", "open")
DEFAULT_MAX_PAGE_SIZE = 100
DEFAULT_API_PREFIX = "/api/"
# Django's own default for DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB).
DEFAULT_MAX_BODY_SIZE = 2_621_440
DEFAULT_JSON_MAX_DEPTH = 32
DEFAULT_JSON_MAX_ITEMS = 10_000
DEFAULT_LOCKOUT_THRESHOLD = 5
# Each lock of the same account lasts longer: 1 min, 5 min, 15 min, 1 h, 6 h, then 24 h.
DEFAULT_LOCKOUT_PERIODS = (60, 300, 900, 3600, 21600, 86400)
DEFAULT_LOCKOUT_WINDOW = 3600
# A login whose account's reservations are all held by attempts in progress waits this long (ms)
# for one: long enough for a few Argon2 checks of the same account to finish.
DEFAULT_LOCKOUT_WAIT = 2000
# A login arriving while every hashing slot of its process is busy waits this long (ms), then 503.
DEFAULT_HASHING_WAIT = 500
# Password hashing memory of one host (all workers together), in MiB.
DEFAULT_HASHING_MEMORY_BUDGET = 512
# A wait longer than a minute holds a worker thread for nothing a client still waits for.
LONGEST_WAIT_MS = 60_000
LARGEST_HASHING_SLOTS = 1024
LARGEST_MEMORY_BUDGET_MIB = 1024 * 1024
DEFAULT_TRUSTED_DEVICE_AGE = 30 * 86400
DEFAULT_SESSION_MAX_AGE = timedelta(days=30)
DEFAULT_OWNERSHIP_DEPTH = 3
# Beyond this many relations an "owner" is rarely the owner (and the search grows with each hop).
LARGEST_OWNERSHIP_DEPTH = 6

# The largest count a database LIMIT, a cache and Redis all hold (a signed 64-bit integer).
LARGEST_COUNT = 2**63 - 1
# The longest duration: a cache timeout and ``now + duration`` stay far from any overflow.
LONGEST_SECONDS = 100 * 365 * 86400
# SQLite refuses more than 32,766 parameters in one statement (pk__in of a pruning batch).
LARGEST_PRUNE_BATCH = 10_000
COOKIE_PATH = re.compile(r"/(?:(?![;,])[!-~])*")
#: What an API key scope looks like: ``notes:read``, ``billing.invoices:write``.
SCOPE_NAME = re.compile(r"[a-z0-9_.-]+(?::[a-z0-9_.-]+)*")
DEFAULT_API_KEY_ROTATION_OVERLAP = 3600
DEFAULT_ATTACK_WINDOW = 300
DEFAULT_ATTACK_THRESHOLDS = {"failures": 100, "accounts": 30, "networks": 10}
DEFAULT_REAUTH_MAX_AGE = 300
# A step-up older than a day proves nothing about who holds the session now.
LONGEST_REAUTH_MAX_AGE = 86400
NO_VALUE = object()


class Unreadable:
    """Stands for a setting whose value raised when read (a lazy object that fails)."""

    def __repr__(self) -> str:
        return "a value that raises when read"


UNREADABLE = Unreadable()


def is_int(value: object, minimum: int, maximum: int) -> bool:
    """Whether ``value`` is an ``int`` (not a ``bool``) from ``minimum`` to ``maximum``."""
    return type(value) is int and minimum <= value <= maximum


def is_bool(value: object) -> bool:
    """Whether ``value`` is ``True`` or ``False`` (not ``1``, not ``"False"``)."""
    return isinstance(value, bool)


def is_text(value: object) -> bool:
    """Whether ``value`` is a non-empty ``str``."""
    return isinstance(value, str) and bool(value)


def is_text_list(value: object) -> bool:
    """Whether ``value`` is a list or tuple of non-empty strings."""
    return isinstance(value, (list, tuple)) and all(is_text(item) for item in value)


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One ``APISEC_*`` setting, declared once: the accessor and the check both derive from it.

    ``usable`` says whether a raw value can be used; ``convert`` turns a usable value (or the
    fallback) into what callers get; ``fallback`` (a raw value) replaces an unusable one and must
    fail closed. ``secret`` settings never have their value shown in a check message.
    """

    name: str
    check_id: str
    expected: str
    default: object
    usable: Callable[[Any], bool]
    convert: Callable[[Any], T] = _same
    fallback: object = NO_VALUE
    default_doc: str = ""
    secret: bool = False

    def raw(self) -> object:
        """The value in ``django.conf.settings`` (the default when the project sets none)."""
        try:
            return getattr(settings, self.name, self.default)
        except Exception:  # noqa: BLE001 - a lazy value that fails to evaluate is unusable
            return UNREADABLE

    def accepts(self, value: object) -> bool:
        """Whether ``value`` is usable; a value whose inspection raises is not."""
        try:
            return bool(self.usable(value))
        except Exception:  # noqa: BLE001 - a lazy object may raise anything; it is unusable
            return False

    def value(self) -> T:
        """The typed value: the setting when usable, else the fail-closed fallback."""
        raw = self.raw()
        return self.convert(raw) if self.accepts(raw) else self.fallback_value()

    def fallback_value(self) -> T:
        """What replaces an unusable value (the default unless a stricter one is declared)."""
        return self.convert(self.default if self.fallback is NO_VALUE else self.fallback)


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


def _api_prefix(value: str) -> str:
    inner = value.strip("/")
    return f"/{inner}/" if inner else "/"


def _max_body_size(value: int | None) -> int:
    if value is not None:
        return value
    django_limit = getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None)
    if isinstance(django_limit, int) and is_int(django_limit, 1, LARGEST_COUNT):
        return django_limit
    return DEFAULT_MAX_BODY_SIZE


def _is_duration(value: object) -> bool:
    if isinstance(value, timedelta):
        return timedelta(seconds=1) <= value <= timedelta(seconds=LONGEST_SECONDS)
    return is_int(value, 1, LONGEST_SECONDS)


def _duration(value: timedelta | int) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def _cookie_secure(value: bool | None) -> bool:
    return PROFILE.value() != "development" if value is None else value


def _is_text_map(value: object) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(key, str) and isinstance(item, str) for key, item in value.items()
    )


def _is_lockout_periods(value: object) -> bool:
    return (
        isinstance(value, (list, tuple))
        and bool(value)
        and all(is_int(item, 1, LONGEST_SECONDS) for item in value)
    )


def _is_suppression_list(value: object) -> bool:
    # A missing or empty reason is usable here: apisec.E514 reports it (and it suppresses nothing).
    return isinstance(value, (list, tuple)) and all(
        isinstance(item, Mapping)
        and is_text(item.get("id"))
        and all(isinstance(item.get(key, ""), str) for key in ("target", "reason"))
        for item in value
    )


def _is_scope_list(value: object) -> bool:
    return isinstance(value, (list, tuple)) and all(
        isinstance(item, str) and SCOPE_NAME.fullmatch(item) for item in value
    )


def _https_only(value: bool | None) -> bool:
    return PROFILE.value() != "development" if value is None else value


def _int(minimum: int, maximum: int) -> Callable[[Any], bool]:
    return lambda value: is_int(value, minimum, maximum)


def _one_of(*choices: str) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and value in choices


SECONDS = f"a positive int of seconds (at most {LONGEST_SECONDS}, 100 years)"
COUNT = "a positive int (at most 2**63 - 1)"

PROFILE: Setting[str] = Setting(
    "APISEC_PROFILE",
    "apisec.E601",
    '"development" or "production"',
    "production",
    _one_of(*PROFILES),
    default_doc='``"production"``',
)
API_PREFIX: Setting[str] = Setting(
    "APISEC_API_PREFIX",
    "apisec.E602",
    'a non-empty str, e.g. "/api/"',
    DEFAULT_API_PREFIX,
    is_text,
    _api_prefix,
    # Unusable: every path is treated as API (body limit, API headers, JSON errors everywhere).
    fallback="/",
    default_doc='``"/api/"``',
)
CACHE: Setting[str] = Setting(
    "APISEC_CACHE",
    "apisec.E603",
    "a non-empty str, an alias in CACHES",
    "default",
    is_text,
    default_doc='``"default"``',
)
FAILURE_POLICY: Setting[str] = Setting(
    "APISEC_FAILURE_POLICY",
    "apisec.E604",
    '"closed" or "open"',
    "closed",
    _one_of(*FAILURE_POLICIES),
    default_doc='``"closed"``',
)
TRUSTED_PROXIES: Setting[list[str]] = Setting(
    "APISEC_TRUSTED_PROXIES",
    # The type and every entry are judged by apisec.E410 (checks/proxies.py).
    "apisec.E410",
    'a list of IP networks or addresses, or one comma-separated str, e.g. ["10.0.0.0/24"]',
    [],
    lambda value: isinstance(value, (str, list, tuple, set, frozenset)),
    parse_trusted_proxies,
    default_doc="``[]``",
)
HARDENING_REPORT: Setting[dict[str, str]] = Setting(
    "APISEC_HARDENING_REPORT",
    "apisec.E605",
    "a dict of str to str, written by harden()",
    {},
    _is_text_map,
    dict,
    default_doc="``{}``",
)
MAX_BODY_SIZE: Setting[int] = Setting(
    "APISEC_MAX_BODY_SIZE",
    "apisec.E606",
    "a positive int of bytes (at most 2**63 - 1), or None to follow DATA_UPLOAD_MAX_MEMORY_SIZE",
    None,
    lambda value: value is None or is_int(value, 1, LARGEST_COUNT),
    _max_body_size,
    default_doc="``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MiB when that is not a positive int)",
)
JSON_MAX_DEPTH: Setting[int] = Setting(
    "APISEC_JSON_MAX_DEPTH",
    "apisec.E607",
    COUNT,
    DEFAULT_JSON_MAX_DEPTH,
    _int(1, LARGEST_COUNT),
    default_doc=f"``{DEFAULT_JSON_MAX_DEPTH}``",
)
JSON_MAX_ITEMS: Setting[int] = Setting(
    "APISEC_JSON_MAX_ITEMS",
    "apisec.E608",
    COUNT,
    DEFAULT_JSON_MAX_ITEMS,
    _int(1, LARGEST_COUNT),
    default_doc=f"``{DEFAULT_JSON_MAX_ITEMS}``",
)
MAX_PAGE_SIZE: Setting[int | None] = Setting(
    "APISEC_MAX_PAGE_SIZE",
    "apisec.E609",
    COUNT,
    DEFAULT_MAX_PAGE_SIZE,
    _int(1, LARGEST_COUNT),
    # Unusable: no bound the client can choose; the paginator then ignores ?page_size=.
    fallback=None,
    default_doc=f"``{DEFAULT_MAX_PAGE_SIZE}``",
)
LOCKOUT_THRESHOLD: Setting[int] = Setting(
    "APISEC_LOCKOUT_THRESHOLD",
    "apisec.E610",
    COUNT,
    DEFAULT_LOCKOUT_THRESHOLD,
    _int(1, LARGEST_COUNT),
    default_doc=f"``{DEFAULT_LOCKOUT_THRESHOLD}``",
)
LOCKOUT_PERIODS: Setting[tuple[int, ...]] = Setting(
    "APISEC_LOCKOUT_PERIODS",
    "apisec.E611",
    f"a non-empty list of positive ints of seconds (each at most {LONGEST_SECONDS})",
    DEFAULT_LOCKOUT_PERIODS,
    _is_lockout_periods,
    tuple,
    default_doc="``(60, 300, 900, 3600, 21600, 86400)``",
)
LOCKOUT_WINDOW: Setting[int] = Setting(
    "APISEC_LOCKOUT_WINDOW",
    "apisec.E612",
    SECONDS,
    DEFAULT_LOCKOUT_WINDOW,
    _int(1, LONGEST_SECONDS),
    default_doc=f"``{DEFAULT_LOCKOUT_WINDOW}`` (1 hour)",
)
LOCKOUT_WAIT: Setting[int] = Setting(
    "APISEC_LOCKOUT_WAIT",
    "apisec.E670",
    f"an int of milliseconds from 0 to {LONGEST_WAIT_MS}",
    DEFAULT_LOCKOUT_WAIT,
    _int(0, LONGEST_WAIT_MS),
    default_doc=f"``{DEFAULT_LOCKOUT_WAIT}`` (2 s)",
)
HASHING_SLOTS: Setting[int | None] = Setting(
    "APISEC_HASHING_SLOTS",
    "apisec.E671",
    f"None (automatic), or an int from 1 to {LARGEST_HASHING_SLOTS}",
    None,
    lambda value: value is None or is_int(value, 1, LARGEST_HASHING_SLOTS),
    # Unusable: one hash at a time per process, the least memory.
    fallback=1,
    default_doc="``None``: the CPUs of the process shared by the workers, within the budget",
)
HASHING_WAIT: Setting[int] = Setting(
    "APISEC_HASHING_WAIT",
    "apisec.E672",
    f"an int of milliseconds from 0 to {LONGEST_WAIT_MS}",
    DEFAULT_HASHING_WAIT,
    _int(0, LONGEST_WAIT_MS),
    default_doc=f"``{DEFAULT_HASHING_WAIT}``",
)
HASHING_MEMORY_BUDGET: Setting[int] = Setting(
    "APISEC_HASHING_MEMORY_BUDGET",
    "apisec.E673",
    f"an int of MiB from 1 to {LARGEST_MEMORY_BUDGET_MIB}",
    DEFAULT_HASHING_MEMORY_BUDGET,
    _int(1, LARGEST_MEMORY_BUDGET_MIB),
    default_doc=f"``{DEFAULT_HASHING_MEMORY_BUDGET}`` (MiB)",
)
TRUSTED_DEVICE_AGE: Setting[int] = Setting(
    "APISEC_TRUSTED_DEVICE_AGE",
    "apisec.E613",
    SECONDS,
    DEFAULT_TRUSTED_DEVICE_AGE,
    _int(1, LONGEST_SECONDS),
    default_doc=f"``{DEFAULT_TRUSTED_DEVICE_AGE}`` (30 days)",
)
JWT_SESSION_MAX_AGE: Setting[timedelta] = Setting(
    "APISEC_JWT_SESSION_MAX_AGE",
    "apisec.E614",
    f"a timedelta or {SECONDS}",
    DEFAULT_SESSION_MAX_AGE,
    _is_duration,
    _duration,
    default_doc="``timedelta(days=30)``",
)
# Long enough for the tabs of one browser that all refresh at a page load (two tabs reloaded
# together, a restored session) to see their retry arrive with the winner's cookie.
DEFAULT_REUSE_GRACE_SECONDS = 10
JWT_REUSE_GRACE_SECONDS: Setting[int] = Setting(
    "APISEC_JWT_REUSE_GRACE_SECONDS",
    "apisec.E615",
    f"an int of seconds from 0 to {LONGEST_SECONDS}",
    DEFAULT_REUSE_GRACE_SECONDS,
    _int(0, LONGEST_SECONDS),
    default_doc=f"``{DEFAULT_REUSE_GRACE_SECONDS}``",
)
JWT_REUSE_DEACTIVATES_USER: Setting[bool] = Setting(
    "APISEC_JWT_REUSE_DEACTIVATES_USER",
    "apisec.E616",
    "True or False",
    False,  # noqa: FBT003
    is_bool,
    default_doc="``False``",
)
JWT_BODY_TRANSPORT: Setting[bool] = Setting(
    "APISEC_JWT_BODY_TRANSPORT",
    "apisec.E617",
    "True or False",
    False,  # noqa: FBT003
    is_bool,
    default_doc="``False``",
)
JWT_COOKIE_SECURE: Setting[bool] = Setting(
    "APISEC_JWT_COOKIE_SECURE",
    "apisec.E618",
    "True or False (None: False in the development profile, else True)",
    None,
    lambda value: value is None or is_bool(value),
    _cookie_secure,
    fallback=True,
    default_doc="``None``: ``True`` except in the development profile",
)
JWT_COOKIE_PATH: Setting[str | None] = Setting(
    "APISEC_JWT_COOKIE_PATH",
    "apisec.E619",
    'None, or a str starting with "/" without spaces, e.g. "/api/auth/"',
    None,
    lambda value: value is None or (isinstance(value, str) and bool(COOKIE_PATH.fullmatch(value))),
    default_doc="``None``: the directory of the auth views",
)
JWT_FINGERPRINT: Setting[bool] = Setting(
    "APISEC_JWT_FINGERPRINT",
    "apisec.E620",
    "True or False",
    False,  # noqa: FBT003
    is_bool,
    # Unusable (e.g. "yes"): the stricter binding is on.
    fallback=True,
    default_doc="``False``",
)
JWT_PREVIOUS_KEYS: Setting[list[str]] = Setting(
    "APISEC_JWT_PREVIOUS_KEYS",
    "apisec.E621",
    "a list of non-empty str keys, or one str",
    [],
    lambda value: is_text(value) or is_text_list(value),
    lambda value: [value] if isinstance(value, str) else list(value),
    # Unusable: no previous key verifies anything.
    fallback=[],
    default_doc="``[]``",
    secret=True,
)
JWT_PRUNE_EVERY: Setting[int] = Setting(
    "APISEC_JWT_PRUNE_EVERY",
    "apisec.E622",
    "an int from 0 (never) to 2**63 - 1",
    100,
    _int(0, LARGEST_COUNT),
    default_doc="``100``",
)
JWT_PRUNE_BATCH_SIZE: Setting[int] = Setting(
    "APISEC_JWT_PRUNE_BATCH_SIZE",
    "apisec.E623",
    f"an int from 1 to {LARGEST_PRUNE_BATCH}",
    1000,
    _int(1, LARGEST_PRUNE_BATCH),
    default_doc="``1000``",
)
OWNERSHIP_DEPTH: Setting[int] = Setting(
    "APISEC_OWNERSHIP_DEPTH",
    "apisec.E624",
    f"an int from 1 to {LARGEST_OWNERSHIP_DEPTH}",
    DEFAULT_OWNERSHIP_DEPTH,
    _int(1, LARGEST_OWNERSHIP_DEPTH),
    # Unusable: the deepest search, so that no owned model goes unjudged.
    fallback=LARGEST_OWNERSHIP_DEPTH,
    default_doc=f"``{DEFAULT_OWNERSHIP_DEPTH}``",
)
SHARED_MODELS: Setting[tuple[str, ...]] = Setting(
    "APISEC_SHARED_MODELS",
    "apisec.E625",
    'a list of "app_label.ModelName" str, e.g. ["shop.Product"]',
    (),
    is_text_list,
    lambda value: tuple(item.lower() for item in value),
    # Unusable: no model is shared, every owned model is judged.
    fallback=(),
    default_doc="``()``",
)
AUDIT_SUPPRESSIONS: Setting[tuple[dict[str, str], ...]] = Setting(
    "APISEC_AUDIT_SUPPRESSIONS",
    "apisec.E626",
    'a list of dicts with an "id", a "reason" and optionally a "target" (str each)',
    (),
    _is_suppression_list,
    lambda value: tuple(dict(item) for item in value),
    # Unusable: nothing is suppressed.
    fallback=(),
    default_doc="``()``",
)
API_KEY_SCOPES: Setting[frozenset[str]] = Setting(
    "APISEC_API_KEY_SCOPES",
    "apisec.E630",
    'a list of scope names (lowercase letters, digits, "_.-", parts joined by ":"), '
    'e.g. ["notes:read", "notes:write"]',
    [],
    _is_scope_list,
    frozenset,
    # Unusable: no scope can be given to a new key.
    fallback=[],
    default_doc="``[]``",
)
API_KEY_ROTATION_OVERLAP: Setting[int] = Setting(
    "APISEC_API_KEY_ROTATION_OVERLAP",
    "apisec.E631",
    f"an int of seconds from 0 to {LONGEST_SECONDS}",
    DEFAULT_API_KEY_ROTATION_OVERLAP,
    _int(0, LONGEST_SECONDS),
    # Unusable: a rotated key stops working at once.
    fallback=0,
    default_doc=f"``{DEFAULT_API_KEY_ROTATION_OVERLAP}`` (1 hour)",
)
API_KEY_HTTPS_ONLY: Setting[bool] = Setting(
    "APISEC_API_KEY_HTTPS_ONLY",
    "apisec.E632",
    "True or False (None: False in the development profile, else True)",
    None,
    lambda value: value is None or is_bool(value),
    _https_only,
    fallback=True,
    default_doc="``None``: ``True`` except in the development profile",
)
REAUTH_MAX_AGE: Setting[int] = Setting(
    "APISEC_REAUTH_MAX_AGE",
    "apisec.E641",
    f"an int of seconds from 1 to {LONGEST_REAUTH_MAX_AGE} (a day)",
    DEFAULT_REAUTH_MAX_AGE,
    _int(1, LONGEST_REAUTH_MAX_AGE),
    default_doc=f"``{DEFAULT_REAUTH_MAX_AGE}`` (5 minutes)",
)
#: How long a worker process reuses a user it loaded for an access token (seconds).
DEFAULT_USER_CACHE_SECONDS = 30
LONGEST_USER_CACHE_SECONDS = 300
USER_CACHE_SECONDS: Setting[int] = Setting(
    "APISEC_USER_CACHE_SECONDS",
    "apisec.E680",
    f"an int of seconds from 0 (off) to {LONGEST_USER_CACHE_SECONDS}",
    DEFAULT_USER_CACHE_SECONDS,
    _int(0, LONGEST_USER_CACHE_SECONDS),
    # Unusable: no cache, every request loads its user (the slower, never stale choice).
    fallback=0,
    default_doc=f"``{DEFAULT_USER_CACHE_SECONDS}``",
)


#: A relying-party id: a host name (no scheme, port or path, not an IP address), lower case.
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
RP_ID = re.compile(rf"(?=.{{1,253}}$){LABEL}(?:\.{LABEL})*")
#: A web origin as browsers write it: scheme, host, optional port; nothing after.
WEB_ORIGIN = re.compile(r"https?://[a-z0-9.-]+(?::[0-9]{1,5})?")


def _is_rp_id(value: object) -> bool:
    if value is None:
        return True
    if not isinstance(value, str) or not RP_ID.fullmatch(value):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return True
    return False  # WebAuthn refuses an IP address as relying-party id


def _is_origin_list(value: object) -> bool:
    return isinstance(value, (list, tuple)) and all(
        isinstance(item, str) and WEB_ORIGIN.fullmatch(item) for item in value
    )


WEBAUTHN_RP_ID: Setting[str | None] = Setting(
    "APISEC_WEBAUTHN_RP_ID",
    "apisec.E633",
    'None, or a lower-case host name without scheme or port, e.g. "example.com"',
    None,
    _is_rp_id,
    # Unusable: passkeys are off (their endpoints answer 404) until it is fixed.
    fallback=None,
    default_doc="``None`` (passkeys off)",
)
WEBAUTHN_RP_NAME: Setting[str | None] = Setting(
    "APISEC_WEBAUTHN_RP_NAME",
    "apisec.E634",
    "None, or a non-empty str of at most 64 characters",
    None,
    lambda value: value is None or (is_text(value) and len(value) <= 64),
    fallback=None,
    default_doc="``None``: the relying-party id",
)
WEBAUTHN_ORIGINS: Setting[tuple[str, ...]] = Setting(
    "APISEC_WEBAUTHN_ORIGINS",
    "apisec.E635",
    'a list of origins, e.g. ["https://example.com", "https://app.example.com"]',
    (),
    _is_origin_list,
    tuple,
    # Unusable: only https://<relying-party id> is accepted.
    fallback=(),
    default_doc="``()``: ``https://`` + the relying-party id",
)


def _is_network_list(value: object) -> bool:
    if not isinstance(value, (list, tuple)):
        return False
    for item in value:
        if not isinstance(item, str):
            return False
        ipaddress.ip_network(item, strict=False)  # raises on a typo: unusable
    return True


def _is_thresholds(value: object) -> bool:
    return (
        isinstance(value, Mapping)
        and set(value) == set(DEFAULT_ATTACK_THRESHOLDS)
        and all(is_int(item, 1, LARGEST_COUNT) for item in value.values())
    )


def _is_tightening(value: object) -> bool:
    if value is None:
        return True
    if not isinstance(value, Mapping) or set(value) != {"rate", "duration"}:
        return False
    # The limiter's own parser; it raises on a bad rate, which makes the value unusable.
    return (
        isinstance(value["rate"], str)
        and bool(parse_rate(value["rate"]))
        and is_int(value["duration"], 1, LONGEST_SECONDS)
    )


METRICS_ALLOWED_NETWORKS: Setting[list[str]] = Setting(
    "APISEC_METRICS_ALLOWED_NETWORKS",
    "apisec.E646",
    'a list of IP networks or addresses, e.g. ["10.0.0.0/8"]',
    [],
    _is_network_list,
    list,
    fallback=[],
    default_doc="``[]``",
)
ATTACK_WINDOW: Setting[int] = Setting(
    "APISEC_ATTACK_WINDOW",
    "apisec.E647",
    "an int of seconds from 60 to 86400",
    DEFAULT_ATTACK_WINDOW,
    _int(60, 86400),
    default_doc=f"``{DEFAULT_ATTACK_WINDOW}`` (5 minutes)",
)
ATTACK_THRESHOLDS: Setting[dict[str, int]] = Setting(
    "APISEC_ATTACK_THRESHOLDS",
    "apisec.E648",
    'a dict with the positive ints "failures", "accounts" and "networks"',
    DEFAULT_ATTACK_THRESHOLDS,
    _is_thresholds,
    dict,
    default_doc='``{"failures": 100, "accounts": 30, "networks": 10}``',
)
ATTACK_TIGHTENING: Setting[dict[str, Any] | None] = Setting(
    "APISEC_ATTACK_TIGHTENING",
    "apisec.E649",
    'None, or a dict {"rate": a DRF rate such as "30/min", "duration": seconds}',
    None,
    _is_tightening,
    lambda value: None if value is None else dict(value),
    default_doc="``None`` (detect and report only)",
)

#: Every ``APISEC_*`` setting django_apisec reads, in the order the reference lists them.
SETTINGS: tuple[Setting[Any], ...] = (
    PROFILE,
    API_PREFIX,
    CACHE,
    FAILURE_POLICY,
    TRUSTED_PROXIES,
    HARDENING_REPORT,
    MAX_BODY_SIZE,
    JSON_MAX_DEPTH,
    JSON_MAX_ITEMS,
    MAX_PAGE_SIZE,
    LOCKOUT_THRESHOLD,
    LOCKOUT_PERIODS,
    LOCKOUT_WINDOW,
    LOCKOUT_WAIT,
    HASHING_SLOTS,
    HASHING_WAIT,
    HASHING_MEMORY_BUDGET,
    TRUSTED_DEVICE_AGE,
    JWT_SESSION_MAX_AGE,
    JWT_REUSE_GRACE_SECONDS,
    JWT_REUSE_DEACTIVATES_USER,
    JWT_BODY_TRANSPORT,
    JWT_COOKIE_SECURE,
    JWT_COOKIE_PATH,
    JWT_FINGERPRINT,
    JWT_PREVIOUS_KEYS,
    JWT_PRUNE_EVERY,
    JWT_PRUNE_BATCH_SIZE,
    OWNERSHIP_DEPTH,
    SHARED_MODELS,
    AUDIT_SUPPRESSIONS,
    API_KEY_SCOPES,
    API_KEY_ROTATION_OVERLAP,
    API_KEY_HTTPS_ONLY,
    METRICS_ALLOWED_NETWORKS,
    ATTACK_WINDOW,
    ATTACK_THRESHOLDS,
    ATTACK_TIGHTENING,
    REAUTH_MAX_AGE,
    WEBAUTHN_RP_ID,
    WEBAUTHN_RP_NAME,
    WEBAUTHN_ORIGINS,
    USER_CACHE_SECONDS,
)


class ApisecSettings:
    """Typed accessors for the ``APISEC_*`` settings; each reads its :class:`Setting` now."""

    @property
    def PROFILE(self) -> str:  # noqa: N802
        """``development`` or ``production``; set by :func:`~django_apisec.hardening.harden`."""
        return PROFILE.value()

    @property
    def API_PREFIX(self) -> str:  # noqa: N802
        """Path prefix of the API (``"/api/"``): API headers, limits and JSON errors apply there.

        Always starts and ends with ``/``.
        """
        return API_PREFIX.value()

    @property
    def CACHE(self) -> str:  # noqa: N802
        """Alias of the cache holding abuse-control state (throttles, lockout counters)."""
        return CACHE.value()

    @property
    def FAILURE_POLICY(self) -> str:  # noqa: N802
        """What throttles and the lockout do when their cache fails: ``closed`` or ``open``."""
        return FAILURE_POLICY.value()

    @property
    def TRUSTED_PROXIES(self) -> list[str]:  # noqa: N802
        """CIDRs of the reverse proxies whose ``X-Forwarded-*`` headers are believed."""
        return TRUSTED_PROXIES.value()

    @property
    def HARDENING_REPORT(self) -> dict[str, str]:  # noqa: N802
        """Where each hardened setting came from (written by ``harden()``); a copy."""
        return HARDENING_REPORT.value()

    @property
    def MAX_BODY_SIZE(self) -> int:  # noqa: N802
        """Largest request body (bytes) under the API prefix; larger bodies are a 413."""
        return MAX_BODY_SIZE.value()

    @property
    def JSON_MAX_DEPTH(self) -> int:  # noqa: N802
        """Deepest nesting of arrays and objects a JSON request body may have."""
        return JSON_MAX_DEPTH.value()

    @property
    def JSON_MAX_ITEMS(self) -> int:  # noqa: N802
        """Most values (array elements and object members, at any depth) in a JSON body."""
        return JSON_MAX_ITEMS.value()

    @property
    def MAX_PAGE_SIZE(self) -> int | None:  # noqa: N802
        """Largest page a client may ask for with ``?page_size=``; ``None`` when unusable.

        DRF reads a falsy ``max_page_size`` as "no bound", so an unusable value is ``None``: the
        paginator then ignores ``?page_size=`` (fails closed).
        """
        return MAX_PAGE_SIZE.value()

    @property
    def LOCKOUT_THRESHOLD(self) -> int:  # noqa: N802
        """Failed logins of one account (per client bucket) before it locks."""
        return LOCKOUT_THRESHOLD.value()

    @property
    def LOCKOUT_PERIODS(self) -> tuple[int, ...]:  # noqa: N802
        """Seconds of the 1st, 2nd, ... lock of an account; the last repeats."""
        return LOCKOUT_PERIODS.value()

    @property
    def LOCKOUT_WINDOW(self) -> int:  # noqa: N802
        """Seconds failed logins are remembered (from the first failure) while not locked."""
        return LOCKOUT_WINDOW.value()

    @property
    def LOCKOUT_WAIT(self) -> int:  # noqa: N802
        """Milliseconds a login waits for a lockout reservation held by attempts in progress."""
        return LOCKOUT_WAIT.value()

    @property
    def HASHING_SLOTS(self) -> int | None:  # noqa: N802
        """Password hashes one process runs at once; ``None``: chosen from CPUs and memory."""
        return HASHING_SLOTS.value()

    @property
    def HASHING_WAIT(self) -> int:  # noqa: N802
        """Milliseconds a login waits for a free hashing slot before answering 503."""
        return HASHING_WAIT.value()

    @property
    def HASHING_MEMORY_BUDGET(self) -> int:  # noqa: N802
        """MiB of memory password hashing may use on one host, all workers together."""
        return HASHING_MEMORY_BUDGET.value()

    @property
    def TRUSTED_DEVICE_AGE(self) -> int:  # noqa: N802
        """Seconds a trusted-device cookie (set after a successful login) stays valid."""
        return TRUSTED_DEVICE_AGE.value()

    @property
    def JWT_SESSION_MAX_AGE(self) -> timedelta:  # noqa: N802
        """Absolute lifetime of a login session (a token family), however often it refreshes."""
        return JWT_SESSION_MAX_AGE.value()

    @property
    def JWT_REUSE_GRACE_SECONDS(self) -> int:  # noqa: N802
        """Seconds in which the just-rotated refresh token fails with 401 without revoking."""
        return JWT_REUSE_GRACE_SECONDS.value()

    @property
    def JWT_REUSE_DEACTIVATES_USER(self) -> bool:  # noqa: N802
        """Also set ``is_active=False`` on the account when refresh-token reuse is detected."""
        return JWT_REUSE_DEACTIVATES_USER.value()

    @property
    def JWT_BODY_TRANSPORT(self) -> bool:  # noqa: N802
        """Also return and accept the refresh token in the JSON body (non-browser clients)."""
        return JWT_BODY_TRANSPORT.value()

    @property
    def JWT_COOKIE_SECURE(self) -> bool:  # noqa: N802
        """Send the session cookies with ``Secure`` and the ``__Secure-``/``__Host-`` prefix."""
        return JWT_COOKIE_SECURE.value()

    @property
    def JWT_COOKIE_PATH(self) -> str | None:  # noqa: N802
        """``Path`` of the refresh cookie; ``None`` means the directory of the auth views."""
        return JWT_COOKIE_PATH.value()

    @property
    def JWT_FINGERPRINT(self) -> bool:  # noqa: N802
        """Bind access tokens to the browser with the OWASP fingerprint cookie."""
        return JWT_FINGERPRINT.value()

    @property
    def JWT_PREVIOUS_KEYS(self) -> list[str]:  # noqa: N802
        """Keys that still verify JWTs after a key rotation (never used to sign).

        For HMAC algorithms these are previous ``SIGNING_KEY`` values; for asymmetric ones,
        previous ``VERIFYING_KEY`` (public key) values. A single string counts as one key.
        """
        return JWT_PREVIOUS_KEYS.value()

    @property
    def JWT_PRUNE_EVERY(self) -> int:  # noqa: N802
        """On average one login in this many also prunes a batch of dead sessions (0: never)."""
        return JWT_PRUNE_EVERY.value()

    @property
    def USER_CACHE_SECONDS(self) -> int:  # noqa: N802
        """Seconds a worker reuses a user loaded for an access token, while its version holds."""
        return USER_CACHE_SECONDS.value()

    @property
    def JWT_PRUNE_BATCH_SIZE(self) -> int:  # noqa: N802
        """Rows deleted per statement when pruning dead sessions."""
        return JWT_PRUNE_BATCH_SIZE.value()

    @property
    def OWNERSHIP_DEPTH(self) -> int:  # noqa: N802
        """Most relations the views audit follows from a model to the user model."""
        return OWNERSHIP_DEPTH.value()

    @property
    def SHARED_MODELS(self) -> tuple[str, ...]:  # noqa: N802
        """Models (``"app_label.modelname"``, lower case) the views audit treats as not owned."""
        return SHARED_MODELS.value()

    @property
    def AUDIT_SUPPRESSIONS(self) -> tuple[dict[str, str], ...]:  # noqa: N802
        """Views-audit findings accepted on purpose, each with its written reason."""
        return AUDIT_SUPPRESSIONS.value()

    @property
    def API_KEY_SCOPES(self) -> frozenset[str]:  # noqa: N802
        """The scopes an API key may be given; a key's scope outside them is refused at creation."""
        return API_KEY_SCOPES.value()

    @property
    def API_KEY_ROTATION_OVERLAP(self) -> int:  # noqa: N802
        """Seconds a rotated API key keeps working after its successor is created."""
        return API_KEY_ROTATION_OVERLAP.value()

    @property
    def API_KEY_HTTPS_ONLY(self) -> bool:  # noqa: N802
        """Refuse API keys sent over plain http (the key has then travelled in clear)."""
        return API_KEY_HTTPS_ONLY.value()

    @property
    def METRICS_ALLOWED_NETWORKS(self) -> list[str]:  # noqa: N802
        """Client networks (by ``client_ip()``) that may read the metrics without logging in."""
        return METRICS_ALLOWED_NETWORKS.value()

    @property
    def ATTACK_WINDOW(self) -> int:  # noqa: N802
        """Seconds of the attack detector's sliding window of failed logins."""
        return ATTACK_WINDOW.value()

    @property
    def ATTACK_THRESHOLDS(self) -> dict[str, int]:  # noqa: N802
        """Failed logins, distinct accounts and client networks in a window that make an attack."""
        return ATTACK_THRESHOLDS.value()

    @property
    def ATTACK_TIGHTENING(self) -> dict[str, Any] | None:  # noqa: N802
        """The global login rate applied while an attack lasts, and for how long; ``None``: off."""
        return ATTACK_TIGHTENING.value()

    @property
    def REAUTH_MAX_AGE(self) -> int:  # noqa: N802
        """Seconds after the last proof of a factor (``auth_time``) a step-up stays fresh."""
        return REAUTH_MAX_AGE.value()

    @property
    def WEBAUTHN_RP_ID(self) -> str | None:  # noqa: N802
        """The passkeys' relying-party id (a host name); ``None``: passkeys are off."""
        return WEBAUTHN_RP_ID.value()

    @property
    def WEBAUTHN_RP_NAME(self) -> str | None:  # noqa: N802
        """The relying party's name shown by authenticators; ``None``: the relying-party id."""
        return WEBAUTHN_RP_NAME.value()

    @property
    def WEBAUTHN_ORIGINS(self) -> tuple[str, ...]:  # noqa: N802
        """Origins whose passkey ceremonies are accepted; empty: ``https://`` + the RP id."""
        return WEBAUTHN_ORIGINS.value()


apisec_settings = ApisecSettings()
