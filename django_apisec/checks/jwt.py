"""djangorestframework-simplejwt checks (``apisec.E2xx`` / ``apisec.W2xx``).

Each check judges a ``SIMPLE_JWT`` key only where the JWT stack in use reads it (docs/jwt.rst,
"One JWT stack"):

* keys, algorithm, lifetimes and leeway: wherever simplejwt's tokens are used at all, by our
  token families or by simplejwt itself (:func:`simplejwt_in_use`);
* rotation and the blacklist (E209, W210) and ``UPDATE_LAST_LOGIN`` (W214): only where
  simplejwt's own token views are reachable in the URLconf (:func:`simplejwt_view_routes`); our
  token families replace both and never read these keys;
* ``CHECK_REVOKE_TOKEN`` (W215): only where simplejwt's own ``JWTAuthentication`` accepts tokens
  (:func:`simplejwt_authentications`), the one class that checks it;
* ``JWK_URL`` (E212) and ``AUTH_TOKEN_CLASSES`` (W213): where either of simplejwt's own views or
  authentication is in use (:func:`simplejwt_own_stack`).

Settings are read from ``settings.SIMPLE_JWT`` on every call, with simplejwt's defaults for
missing keys. simplejwt's own ``api_settings`` is never imported: it caches, and its module reads
``SECRET_KEY`` when imported. The signing key and algorithm checks are in
:mod:`django_apisec.checks.jwt_keys`; lifetimes, rotation and the token settings are here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.functional import Promise
from rest_framework.views import APIView

from django_apisec.checks.introspection import (
    as_items,
    dotted_name,
    lineage,
    load,
    rest_framework_setting,
)
from django_apisec.checks.registry import deploy_check, emit, error, warning
from django_apisec.checks.views_audit.routes import ViewRoute, drf_routes
from django_apisec.dotted_paths import AUTH_URLCONF, SESSION_AUTHENTICATION

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
    "simplejwt's own token views are mounted ({view} at {route}) but {reason}: refresh tokens "
    "they issue cannot be revoked, so a stolen one stays usable next to the legitimate client "
    "until it expires.",
    "Add 'rest_framework_simplejwt.token_blacklist' to INSTALLED_APPS (then migrate) and set "
    "SIMPLE_JWT['ROTATE_REFRESH_TOKENS'] = SIMPLE_JWT['BLACKLIST_AFTER_ROTATION'] = True; or "
    f"remove simplejwt's views and use {AUTH_URLCONF}, whose token families rotate and "
    "revoke without them.",
)
W210 = warning(
    "apisec.W210",
    "simplejwt's own token views are mounted ({view} at {route}) and "
    "SIMPLE_JWT['ROTATE_REFRESH_TOKENS'] is off: one refresh token is valid for its whole "
    "lifetime, and a stolen one is never detected.",
    "Set SIMPLE_JWT['ROTATE_REFRESH_TOKENS'] = True and BLACKLIST_AFTER_ROTATION = True (the "
    f"token_blacklist app is installed); or use {AUTH_URLCONF} instead of simplejwt's views.",
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
    "SIMPLE_JWT['UPDATE_LAST_LOGIN'] is on and simplejwt's token views are mounted: every token "
    "they issue writes to the users table, an easy way to load the database with login requests.",
    "Set SIMPLE_JWT['UPDATE_LAST_LOGIN'] = False.",
)
W215 = warning(
    "apisec.W215",
    "{name} accepts access tokens and SIMPLE_JWT['CHECK_REVOKE_TOKEN'] is off: access tokens "
    "issued before a password change stay valid until they expire.",
    "Set SIMPLE_JWT['CHECK_REVOKE_TOKEN'] = True (access tokens then carry a hash of the "
    "password hash, and a password change revokes them); or authenticate with "
    f"{SESSION_AUTHENTICATION}, whose sessions a password change revokes.",
)

SIMPLEJWT = "rest_framework_simplejwt"
BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"
SLIDING_TOKEN = "rest_framework_simplejwt.tokens.SlidingToken"  # noqa: S105
#: Base of every simplejwt token view (obtain, refresh, verify, blacklist, sliding).
TOKEN_VIEW = "rest_framework_simplejwt.views.TokenViewBase"  # noqa: S105
#: simplejwt's own authentication classes live here; ours subclasses one of them.
AUTHENTICATION_MODULE = "rest_framework_simplejwt.authentication"
JWT_AUTHENTICATION = f"{AUTHENTICATION_MODULE}.JWTAuthentication"
STATELESS_AUTHENTICATION = f"{AUTHENTICATION_MODULE}.JWTStatelessUserAuthentication"
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


def simplejwt_view_routes() -> list[ViewRoute]:
    """Routes of the URLconf that reach one of simplejwt's own token views (or a subclass)."""
    return [route for route in drf_routes() if TOKEN_VIEW in lineage(route.view_class)]


def _declared_authentication(view_class: type[APIView]) -> list[Any]:
    """The ``authentication_classes`` a view sets itself (APIView's is DRF's import-time copy)."""
    mro = view_class.__mro__
    for klass in mro[: mro.index(APIView)]:
        if "authentication_classes" in vars(klass):
            return as_items(vars(klass)["authentication_classes"])
    return []


def _simplejwt_authentication_name(entry: Any) -> str | None:
    """The name of ``entry`` if it is simplejwt's own authentication (not our subclass)."""
    obj, _reason = load(entry)
    names = lineage(obj)
    if isinstance(entry, (str, Promise)):
        names.add(str(entry))
    if SESSION_AUTHENTICATION in names:
        return None
    if not any(name.startswith(f"{AUTHENTICATION_MODULE}.") for name in names):
        return None
    return str(entry) if obj is None or isinstance(entry, (str, Promise)) else dotted_name(obj)


def simplejwt_authentications() -> dict[str, set[str]]:
    """simplejwt's own authentication classes in use, each with its lineage.

    In use means listed in ``DEFAULT_AUTHENTICATION_CLASSES`` or set as ``authentication_classes``
    on a view reachable in the URLconf. ``JWTSessionAuthentication`` is not simplejwt's own: it
    subclasses ``JWTAuthentication`` but accepts only our tokens.
    """
    entries = as_items(rest_framework_setting("DEFAULT_AUTHENTICATION_CLASSES"))
    for route in drf_routes():
        entries.extend(_declared_authentication(route.view_class))
    found: dict[str, set[str]] = {}
    for entry in entries:
        name = _simplejwt_authentication_name(entry)
        if name is not None:
            found[name] = lineage(load(entry)[0]) | {name}
    return found


def simplejwt_own_stack() -> bool:
    """Whether simplejwt's own views or authentication (not only its tokens) are in use."""
    return bool(simplejwt_view_routes()) or bool(simplejwt_authentications())


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
    """apisec.E209 (simplejwt's views without the blacklist), apisec.W210 (without rotation)."""
    routes = simplejwt_view_routes()
    if not routes:
        return []
    where = {"view": routes[0].label, "route": routes[0].route or "/"}
    if not blacklist_installed():
        return [emit(E209, reason=f"{BLACKLIST_APP!r} is not in INSTALLED_APPS", **where)]
    if not simple_jwt_setting("ROTATE_REFRESH_TOKENS"):
        return [emit(W210, **where)]
    if not simple_jwt_setting("BLACKLIST_AFTER_ROTATION"):
        reason = "SIMPLE_JWT['BLACKLIST_AFTER_ROTATION'] is off while refresh tokens rotate"
        return [emit(E209, reason=reason, **where)]
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
    if not url or not isinstance(url, (str, Promise)) or not simplejwt_own_stack():
        return []
    if str(url).strip().lower().startswith("https://"):
        return []
    return [emit(E212, url=str(url))]


@deploy_check
def check_sliding_tokens(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W213: no sliding tokens."""
    if not simplejwt_own_stack():
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
    if not simple_jwt_setting("UPDATE_LAST_LOGIN") or not simplejwt_view_routes():
        return []
    return [W214]


@deploy_check
def check_revoke_token(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W215: a password change revokes the access tokens simplejwt's JWTAuthentication takes.

    ``JWTStatelessUserAuthentication`` never loads the user, so ``CHECK_REVOKE_TOKEN`` changes
    nothing for it; it is not reported here.
    """
    if simple_jwt_setting("CHECK_REVOKE_TOKEN"):
        return []
    return [
        emit(W215, name=name)
        for name, names in simplejwt_authentications().items()
        if JWT_AUTHENTICATION in names and STATELESS_AUTHENTICATION not in names
    ]
