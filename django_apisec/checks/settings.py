"""django_apisec's own settings (``apisec.E6xx``): usable values, then production bounds.

``apisec.E601``-``E649`` are configuration checks (every ``manage.py check``): one id per
``APISEC_*`` setting, derived from its declaration in :data:`django_apisec.conf.SETTINGS`, for a
value the package cannot use. ``apisec.E650``-``E699`` are deploy checks: a usable value beyond
the bound documented for production. Each bound is a module constant below.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django_apisec import conf
from django_apisec.checks.registry import config_check, deploy_check, emit, error
from django_apisec.conf import apisec_settings

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

MIB = 1024 * 1024
# Production bounds. Each is a value past which the setting stops being a limit worth the name;
# docs/checks/settings.rst gives the reason for each.
MAX_BODY_SIZE_BOUND = 10 * MIB
JSON_MAX_DEPTH_BOUND = 64
JSON_MAX_ITEMS_BOUND = 100_000
MAX_PAGE_SIZE_BOUND = 1000
SESSION_MAX_AGE_BOUND = timedelta(days=90)
FAILED_LOGINS_PER_HOUR_BOUND = 100  # ASVS 4.0.3 V2.2.1
REUSE_GRACE_BOUND = 60
TRUSTED_DEVICE_AGE_BOUND = 90 * 86400
HOUR = 3600
SHOWN_CHARS = 60
LOCKOUT_BOUND = (
    "with the other two, at most 100 failed logins per account per hour",
    "apisec.E656",
)

#: The production bound of each setting that has one, and its deploy check (settings reference).
PRODUCTION_BOUNDS: dict[str, tuple[str, str]] = {
    "APISEC_FAILURE_POLICY": ('"closed"', "apisec.E413"),
    "APISEC_MAX_BODY_SIZE": (f"at most {MAX_BODY_SIZE_BOUND} (10 MiB)", "apisec.E651"),
    "APISEC_JSON_MAX_DEPTH": (f"at most {JSON_MAX_DEPTH_BOUND}", "apisec.E652"),
    "APISEC_JSON_MAX_ITEMS": (f"at most {JSON_MAX_ITEMS_BOUND}", "apisec.E653"),
    "APISEC_MAX_PAGE_SIZE": (f"at most {MAX_PAGE_SIZE_BOUND}", "apisec.E654"),
    "APISEC_LOCKOUT_THRESHOLD": LOCKOUT_BOUND,
    "APISEC_LOCKOUT_PERIODS": LOCKOUT_BOUND,
    "APISEC_LOCKOUT_WINDOW": LOCKOUT_BOUND,
    "APISEC_TRUSTED_DEVICE_AGE": (f"at most {TRUSTED_DEVICE_AGE_BOUND} (90 days)", "apisec.E658"),
    "APISEC_JWT_SESSION_MAX_AGE": ("at most 90 days", "apisec.E655"),
    "APISEC_JWT_REUSE_GRACE_SECONDS": (f"at most {REUSE_GRACE_BOUND}", "apisec.E657"),
    "APISEC_JWT_COOKIE_SECURE": ("True", "apisec.E650"),
    "APISEC_WEBAUTHN_ORIGINS": ("https origins only", "apisec.E663"),
}


def _literal(text: str) -> str:
    """``text`` inside a message template: its braces are not placeholders."""
    return text.replace("``", "").replace("{", "{{").replace("}", "}}")


def _unusable(setting: conf.Setting[Any]) -> CheckMessage:
    expected, default = _literal(setting.expected), _literal(setting.default_doc)
    hint = f"Set {setting.name} to {expected}, or remove it for the default: {default}."
    if " int" in expected:
        hint += " Strings are not converted: wrap a value read from the environment in int()."
    return error(
        setting.check_id,
        f"{setting.name} is {{value}}, which django_apisec cannot use: it must be {expected}. "
        "Until it is fixed, django_apisec uses {used} instead.",
        hint,
    )


#: The "unusable value" error of every setting that has its own 6xx id (E410 judges the proxies).
UNUSABLE: dict[str, CheckMessage] = {
    setting.name: _unusable(setting)
    for setting in conf.SETTINGS
    if setting.check_id.startswith("apisec.E6")
}

E650 = error(
    "apisec.E650",
    "APISEC_JWT_COOKIE_SECURE is False: the refresh-token cookie is sent over plain HTTP, where "
    "anyone on the network path reads it and holds the session for its whole lifetime.",
    "Remove APISEC_JWT_COOKIE_SECURE (True outside the development profile) or set it to True.",
)
E663 = error(
    "apisec.E663",
    "The passkey origin {origin!r} is http: a page served in clear can be rewritten on the "
    "network path to run passkey ceremonies for an attacker.",
    "List only https:// origins in APISEC_WEBAUTHN_ORIGINS (or remove it for "
    "https://<APISEC_WEBAUTHN_RP_ID>).",
)
E651 = error(
    "apisec.E651",
    "The request body limit under the API prefix is {size} bytes (from {source}), above "
    f"{MAX_BODY_SIZE_BOUND} (10 MiB): each request may make a worker read and parse that much, "
    "so a few concurrent clients exhaust memory.",
    "Set APISEC_MAX_BODY_SIZE to at most 10485760, e.g. 1048576 (1 MiB); send large files "
    "straight to object storage (pre-signed uploads) rather than through the API.",
)
E652 = error(
    "apisec.E652",
    "APISEC_JSON_MAX_DEPTH is {value}, above {bound}: deeply nested JSON costs recursion in "
    "every serializer and validator that walks it, for no legitimate payload.",
    f"Set APISEC_JSON_MAX_DEPTH to at most {JSON_MAX_DEPTH_BOUND}, e.g. 32 (the default).",
)
E653 = error(
    "apisec.E653",
    "APISEC_JSON_MAX_ITEMS is {value}, above {bound}: one request may make the server build and "
    "validate that many objects.",
    f"Set APISEC_JSON_MAX_ITEMS to at most {JSON_MAX_ITEMS_BOUND}, e.g. 10000 (the default).",
)
E654 = error(
    "apisec.E654",
    "APISEC_MAX_PAGE_SIZE is {value}, above {bound}: one request with ?page_size= may read and "
    "serialize that many rows (unbounded resource consumption, scraping).",
    f"Set APISEC_MAX_PAGE_SIZE to at most {MAX_PAGE_SIZE_BOUND}, e.g. 100 (the default).",
)
E655 = error(
    "apisec.E655",
    "APISEC_JWT_SESSION_MAX_AGE is {value}, above 90 days: a stolen refresh token keeps "
    "refreshing that long without the user ever signing in again.",
    "Set APISEC_JWT_SESSION_MAX_AGE to at most timedelta(days=90), e.g. timedelta(days=30) "
    "(the default).",
)
E656 = error(
    "apisec.E656",
    "The account lockout admits up to {attempts} failed logins per account per hour "
    "(APISEC_LOCKOUT_THRESHOLD={threshold}, APISEC_LOCKOUT_WINDOW={window}, "
    "APISEC_LOCKOUT_PERIODS={periods}): more than {bound}, so online password guessing is not "
    "held back.",
    "Lower APISEC_LOCKOUT_THRESHOLD (default 5), or lengthen APISEC_LOCKOUT_WINDOW and "
    "APISEC_LOCKOUT_PERIODS, until at most 100 failed logins per hour get through.",
)
E657 = error(
    "apisec.E657",
    "APISEC_JWT_REUSE_GRACE_SECONDS is {value}, above {bound}: for that long after each "
    "rotation, a stolen refresh token replayed alongside the real client does not revoke the "
    "session, so reuse detection misses the theft.",
    f"Set APISEC_JWT_REUSE_GRACE_SECONDS to at most {REUSE_GRACE_BOUND}, e.g. 10 (the default: "
    "the few seconds concurrent tabs need).",
)
E658 = error(
    "apisec.E658",
    "APISEC_TRUSTED_DEVICE_AGE is {value} seconds, above 90 days: a device keeps its own "
    "lockout bucket that long after its last successful login.",
    f"Set APISEC_TRUSTED_DEVICE_AGE to at most {TRUSTED_DEVICE_AGE_BOUND} (90 days), e.g. "
    "2592000 (30 days, the default).",
)


def describe(value: object, *, secret: bool) -> str:
    """``value`` for a message: its repr (shortened) and type, or only its type when secret."""
    kind = type(value).__name__
    return f"a {kind} (value not shown)" if secret else f"{short_repr(value)} ({kind})"


def short_repr(value: object) -> str:
    """``repr(value)``, at most 60 characters; a repr that raises shows the type instead."""
    try:
        shown = repr(value)
    except Exception:  # noqa: BLE001 - a lazy object may raise anything
        return f"a {type(value).__name__}"
    return shown if len(shown) <= SHOWN_CHARS else shown[: SHOWN_CHARS - 3] + "..."


@config_check
def check_settings_usable(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E601-E623: every ``APISEC_*`` setting has a value django_apisec can use."""
    messages = []
    for setting in conf.SETTINGS:
        template = UNUSABLE.get(setting.name)
        raw = setting.raw()
        if template is None or setting.accepts(raw):
            continue
        # The fallback in use is never a secret (an empty key list at most).
        used = short_repr(setting.value())
        messages.append(emit(template, value=describe(raw, secret=setting.secret), used=used))
    return messages


@deploy_check
def check_jwt_cookie_secure(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E650: the session cookies are Secure."""
    return [] if apisec_settings.JWT_COOKIE_SECURE else [E650]


@deploy_check
def check_body_bounds(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E651-E654: request body, JSON and page bounds small enough to be bounds."""
    messages = []
    size = apisec_settings.MAX_BODY_SIZE
    if size > MAX_BODY_SIZE_BOUND:
        raw = conf.MAX_BODY_SIZE.raw()
        own = raw is not None and conf.MAX_BODY_SIZE.accepts(raw)
        source = (
            "APISEC_MAX_BODY_SIZE" if own else "DATA_UPLOAD_MAX_MEMORY_SIZE, followed when unset"
        )
        messages.append(emit(E651, size=size, source=source))
    for value, bound, template in (
        (apisec_settings.JSON_MAX_DEPTH, JSON_MAX_DEPTH_BOUND, E652),
        (apisec_settings.JSON_MAX_ITEMS, JSON_MAX_ITEMS_BOUND, E653),
        (apisec_settings.MAX_PAGE_SIZE or 0, MAX_PAGE_SIZE_BOUND, E654),
    ):
        if value > bound:
            messages.append(emit(template, value=value, bound=bound))
    return messages


@deploy_check
def check_session_bounds(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E655, E657: session lifetime and reuse grace within their bounds."""
    messages = []
    if apisec_settings.JWT_SESSION_MAX_AGE > SESSION_MAX_AGE_BOUND:
        messages.append(emit(E655, value=apisec_settings.JWT_SESSION_MAX_AGE))
    grace = apisec_settings.JWT_REUSE_GRACE_SECONDS
    if grace > REUSE_GRACE_BOUND:
        messages.append(emit(E657, value=grace, bound=REUSE_GRACE_BOUND))
    return messages


def failed_logins_per_hour(threshold: int, window: int, periods: tuple[int, ...]) -> int:
    """The most failed logins one account's bucket admits in an hour, from a fresh state.

    Between two resets of its counter a client gets either ``threshold`` failures, which lock the
    account for the next lock period (the last of ``periods`` repeats), or ``threshold - 1``,
    and the counter expires ``window`` seconds after the first. Every round must start within
    the hour. The best an attacker does is some locking rounds first, then unlocked rounds, and
    a last locking round at the end: this tries every number of locking rounds.
    """
    best = elapsed = locks = 0
    while elapsed < HOUR:
        # `locks` locking rounds took `elapsed`; unlocked rounds fill the rest, and one more
        # locking round starts before the hour ends.
        unlocked = math.ceil((HOUR - elapsed) / window) - 1
        best = max(best, (locks + 1) * threshold + unlocked * (threshold - 1))
        elapsed += periods[min(locks, len(periods) - 1)]
        locks += 1
    return best


@deploy_check
def check_lockout_rate(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E656: the lockout admits at most 100 failed logins per account per hour."""
    threshold = apisec_settings.LOCKOUT_THRESHOLD
    window = apisec_settings.LOCKOUT_WINDOW
    periods = apisec_settings.LOCKOUT_PERIODS
    attempts = failed_logins_per_hour(threshold, window, periods)
    if attempts <= FAILED_LOGINS_PER_HOUR_BOUND:
        return []
    details = {"threshold": threshold, "window": window, "periods": list(periods)}
    return [emit(E656, attempts=attempts, bound=FAILED_LOGINS_PER_HOUR_BOUND, **details)]


@deploy_check
def check_trusted_device_age(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E658: a trusted device is forgotten within 90 days of its last login."""
    age = apisec_settings.TRUSTED_DEVICE_AGE
    return [emit(E658, value=age)] if age > TRUSTED_DEVICE_AGE_BOUND else []


@deploy_check
def check_passkey_origins_https(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E663: passkey ceremonies only from https pages in production."""
    if apisec_settings.WEBAUTHN_RP_ID is None:
        return []
    return [
        emit(E663, origin=origin)
        for origin in apisec_settings.WEBAUTHN_ORIGINS
        if not origin.startswith("https://")
    ]
