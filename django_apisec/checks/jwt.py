"""djangorestframework-simplejwt checks (``apisec.E2xx`` / ``apisec.W2xx``).

They run only where simplejwt is in use: a ``rest_framework_simplejwt`` app is installed or one of
its authentication classes is configured. Settings are read from ``settings.SIMPLE_JWT`` on every
call, with simplejwt's defaults for missing keys. simplejwt's own ``api_settings`` is never
imported: it caches, and its module reads ``SECRET_KEY`` when imported. The signing key and
algorithm checks are in :mod:`django_apisec.checks.jwt_keys`; lifetimes, rotation and the token
settings are here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.functional import Promise

from django_apisec.checks.introspection import as_items, lineage, load, rest_framework_setting
from django_apisec.checks.registry import deploy_check, emit, error, warning

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E206 = error(
    "apisec.E206",
    "SIMPLE_JWT['ACCESS_TOKEN_LIFETIME'] is {lifetime}: a stolen access token works for more "
    "than an hour and cannot be revoked before it expires.",
    "Set SIMPLE_JWT['ACCESS_TOKEN_LIFETIME'] = timedelta(minutes=15) and renew with the "
    "refresh token.",
)
W207 = warning(
    "apisec.W207",
    "SIMPLE_JWT['ACCESS_TOKEN_LIFETIME'] is {lifetime}, more than 15 minutes: a stolen access "
    "token stays usable for longer than it needs to.",
    "Set SIMPLE_JWT['ACCESS_TOKEN_LIFETIME'] = timedelta(minutes=15) or less.",
)
W208 = warning(
    "apisec.W208",
    "SIMPLE_JWT['REFRESH_TOKEN_LIFETIME'] is {lifetime}, more than 30 days: a stolen refresh "
    "token keeps a session alive for months.",
    "Set SIMPLE_JWT['REFRESH_TOKEN_LIFETIME'] to 30 days or less, e.g. timedelta(days=1).",
)
E209 = error(
    "apisec.E209",
    "SIMPLE_JWT['ROTATE_REFRESH_TOKENS'] is on but {reason}: a rotated refresh token stays "
    "valid, so a stolen one can be replayed next to the legitimate client until it expires.",
    "Set SIMPLE_JWT['BLACKLIST_AFTER_ROTATION'] = True and add "
    "'rest_framework_simplejwt.token_blacklist' to INSTALLED_APPS (then migrate).",
)
W210 = warning(
    "apisec.W210",
    "SIMPLE_JWT['ROTATE_REFRESH_TOKENS'] is off: one refresh token is valid for its whole "
    "lifetime, and a stolen one is never detected.",
    "Set SIMPLE_JWT['ROTATE_REFRESH_TOKENS'] = True and BLACKLIST_AFTER_ROTATION = True, with "
    "'rest_framework_simplejwt.token_blacklist' in INSTALLED_APPS.",
)
W211 = warning(
    "apisec.W211",
    "SIMPLE_JWT['LEEWAY'] is {leeway}: expired tokens are accepted for more than a minute.",
    "Set SIMPLE_JWT['LEEWAY'] to a few seconds of clock skew at most, e.g. 0 or 5.",
)
E212 = error(
    "apisec.E212",
    "SIMPLE_JWT['JWK_URL'] is {url!r}, not an https:// URL: whoever can intercept the fetch "
    "can substitute their own keys and sign valid tokens.",
    "Serve the JWKS over https and set SIMPLE_JWT['JWK_URL'] = 'https://...'.",
)
W213 = warning(
    "apisec.W213",
    "SIMPLE_JWT['AUTH_TOKEN_CLASSES'] accepts sliding tokens ({name}): one token is both "
    "credential and refresh token, so a stolen one can be renewed for the whole refresh "
    "lifetime.",
    "Use access/refresh pairs: SIMPLE_JWT['AUTH_TOKEN_CLASSES'] = "
    "('rest_framework_simplejwt.tokens.AccessToken',).",
)
W214 = warning(
    "apisec.W214",
    "SIMPLE_JWT['UPDATE_LAST_LOGIN'] is on: every token issued writes to the users table, an "
    "easy way to load the database with login requests.",
    "Set SIMPLE_JWT['UPDATE_LAST_LOGIN'] = False.",
)
W215 = warning(
    "apisec.W215",
    "SIMPLE_JWT['CHECK_REVOKE_TOKEN'] is off: access tokens issued before a password change "
    "stay valid until they expire.",
    "Set SIMPLE_JWT['CHECK_REVOKE_TOKEN'] = True (access tokens then carry a hash of the "
    "password hash, and a password change revokes them).",
)

SIMPLEJWT = "rest_framework_simplejwt"
BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"
SLIDING_TOKEN = "rest_framework_simplejwt.tokens.SlidingToken"  # noqa: S105
MAX_ACCESS_SECONDS = 3600
WARN_ACCESS_SECONDS = 15 * 60
MAX_REFRESH_SECONDS = 30 * 86400
MAX_LEEWAY_SECONDS = 60

# simplejwt's defaults, copied: importing rest_framework_simplejwt.settings reads SECRET_KEY.
DEFAULTS: dict[str, Any] = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": False,
    "BLACKLIST_AFTER_ROTATION": False,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "VERIFYING_KEY": "",
    "JWK_URL": None,
    "LEEWAY": 0,
    "AUTH_TOKEN_CLASSES": ("rest_framework_simplejwt.tokens.AccessToken",),
    "CHECK_REVOKE_TOKEN": False,
}


def simple_jwt_setting(name: str) -> Any:
    """``SIMPLE_JWT[name]`` as simplejwt reads it: the project's value, else simplejwt's default."""
    configured = getattr(settings, "SIMPLE_JWT", None)
    if isinstance(configured, Mapping) and name in configured:
        return configured[name]
    return DEFAULTS.get(name)


def installed_apps() -> list[str]:
    """``INSTALLED_APPS`` as strings (app labels or AppConfig paths)."""
    return [str(app) for app in as_items(getattr(settings, "INSTALLED_APPS", []))]


def simplejwt_in_use() -> bool:
    """Whether a simplejwt app is installed or a simplejwt authentication class configured."""
    if any(app.startswith(SIMPLEJWT) for app in installed_apps()):
        return True
    for backend in as_items(rest_framework_setting("DEFAULT_AUTHENTICATION_CLASSES")):
        # A subclass counts too: django_apisec's JWTSessionAuthentication is simplejwt's.
        names = lineage(load(backend)[0])
        if isinstance(backend, (str, Promise)):
            names.add(str(backend))
        if any(name.startswith(f"{SIMPLEJWT}.") for name in names):
            return True
    return False


def _seconds(value: Any) -> float | None:
    """A duration in seconds (timedelta or number), or ``None`` for anything else."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _describe(value: Any) -> str:
    return str(value) if isinstance(value, timedelta) else f"{value!r} seconds"


@deploy_check
def check_access_token_lifetime(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E206 (over an hour), apisec.W207 (over 15 minutes): access tokens are short-lived."""
    value = simple_jwt_setting("ACCESS_TOKEN_LIFETIME")
    seconds = _seconds(value)
    if not simplejwt_in_use() or seconds is None or seconds <= WARN_ACCESS_SECONDS:
        return []
    template = E206 if seconds > MAX_ACCESS_SECONDS else W207
    return [emit(template, lifetime=_describe(value))]


@deploy_check
def check_refresh_token_lifetime(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W208: refresh tokens expire within 30 days."""
    value = simple_jwt_setting("REFRESH_TOKEN_LIFETIME")
    seconds = _seconds(value)
    if not simplejwt_in_use() or seconds is None or seconds <= MAX_REFRESH_SECONDS:
        return []
    return [emit(W208, lifetime=_describe(value))]


def blacklist_installed() -> bool:
    """Whether simplejwt's token_blacklist app is in ``INSTALLED_APPS``."""
    return any(
        app == BLACKLIST_APP or app.startswith(f"{BLACKLIST_APP}.") for app in installed_apps()
    )


@deploy_check
def check_refresh_rotation(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E209 (rotation without blacklist), apisec.W210 (no rotation)."""
    if not simplejwt_in_use():
        return []
    if not simple_jwt_setting("ROTATE_REFRESH_TOKENS"):
        return [W210]
    if not simple_jwt_setting("BLACKLIST_AFTER_ROTATION"):
        return [emit(E209, reason="SIMPLE_JWT['BLACKLIST_AFTER_ROTATION'] is off")]
    if not blacklist_installed():
        return [emit(E209, reason=f"{BLACKLIST_APP!r} is not in INSTALLED_APPS")]
    return []


@deploy_check
def check_leeway(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W211: at most a minute of clock-skew leeway."""
    value = simple_jwt_setting("LEEWAY")
    seconds = _seconds(value)
    if not simplejwt_in_use() or seconds is None or seconds <= MAX_LEEWAY_SECONDS:
        return []
    return [emit(W211, leeway=_describe(value))]


@deploy_check
def check_jwk_url(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E212: keys are fetched over https only."""
    url = simple_jwt_setting("JWK_URL")
    if not simplejwt_in_use() or not url or not isinstance(url, (str, Promise)):
        return []
    if str(url).strip().lower().startswith("https://"):
        return []
    return [emit(E212, url=str(url))]


@deploy_check
def check_sliding_tokens(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W213: no sliding tokens."""
    if not simplejwt_in_use():
        return []
    messages = []
    for entry in as_items(simple_jwt_setting("AUTH_TOKEN_CLASSES")):
        token_class, _reason = load(entry)
        if SLIDING_TOKEN in lineage(token_class) or str(entry) == SLIDING_TOKEN:
            messages.append(emit(W213, name=str(entry)))
    return messages


@deploy_check
def check_update_last_login(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W214: no database write per token issued."""
    return [W214] if simplejwt_in_use() and simple_jwt_setting("UPDATE_LAST_LOGIN") else []


@deploy_check
def check_revoke_token(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W215: a password change revokes access tokens."""
    return [W215] if simplejwt_in_use() and not simple_jwt_setting("CHECK_REVOKE_TOKEN") else []
