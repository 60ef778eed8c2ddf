"""``harden()``: the one call at the end of ``settings.py``.

It fills every security setting the project did not set with a strong default for the chosen
profile, merges ``REST_FRAMEWORK``, ``SIMPLE_JWT`` and the CORS settings key by key (the project's
keys win), orders the middleware, and refuses to start in production without the secrets.

It writes only into the namespace it is given (the settings module's ``globals()``), never into
``django.conf.settings``, and records where each value came from in
``APISEC_HARDENING_REPORT`` for ``manage.py apisec_settings``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping, MutableMapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from django_apisec.conf import PROFILES
from django_apisec.hardening.middleware_stack import DEFAULT_MIDDLEWARE, ordered_middleware
from django_apisec.hardening.profiles import (
    GOVERNED_SETTINGS,
    has_app,
    rest_framework_defaults,
    scalar_defaults,
    simple_jwt_defaults,
)

SECRET_KEY_ENV = "DJANGO_SECRET_KEY"  # noqa: S105 (a variable name, not a secret)
JWT_SIGNING_KEY_ENV = "APISEC_JWT_SIGNING_KEY"
PROFILE_ENV = "APISEC_PROFILE"

# Sources recorded in APISEC_HARDENING_REPORT.
PROJECT = "project"  # set in settings.py (or passed to harden()); never replaced
PROFILE = "profile"  # filled with the profile's default
ENVIRONMENT = "environment"  # read from an environment variable
MERGED = "merged"  # the project's value, completed or reordered by harden()

# Settings harden() merges key by key; their keys are governed as "REST_FRAMEWORK.KEY".
MERGED_DICTS = ("REST_FRAMEWORK", "SIMPLE_JWT")
# Keys whose own dict value is merged one level deeper (the project's entries win).
NESTED_MERGES = frozenset({"REST_FRAMEWORK.DEFAULT_THROTTLE_RATES"})


def harden(
    namespace: MutableMapping[str, Any],
    *,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Harden the settings in ``namespace`` (pass ``globals()`` at the end of ``settings.py``).

    ``profile`` is ``"development"`` (localhost over http) or ``"production"``; when omitted it
    is read from ``APISEC_PROFILE`` in the settings, then from the ``APISEC_PROFILE`` environment
    variable, and defaults to ``"production"``. Values the project set itself are never replaced;
    ``REST_FRAMEWORK`` and ``SIMPLE_JWT`` are merged key by key. ``environ`` replaces
    ``os.environ`` (for tests).

    Raises :class:`~django.core.exceptions.ImproperlyConfigured` for an unknown profile, and in
    production when ``SECRET_KEY`` or the JWT signing key is missing, naming the environment
    variable to set.
    """
    env = os.environ if environ is None else environ
    chosen, profile_source = _resolve_profile(namespace, profile, env)
    production = chosen == "production"
    namespace["APISEC_PROFILE"] = chosen
    report: dict[str, str] = {"APISEC_PROFILE": profile_source}
    for container in MERGED_DICTS:
        namespace[container] = _project_dict(namespace, container)

    # The secrets first: the development JWT key is derived from the final SECRET_KEY.
    _fill(namespace, "SECRET_KEY", *_resolve_secret_key(namespace, env, production), report)
    signing_key = _resolve_jwt_signing_key(namespace, env, production)
    _fill(namespace, "SIMPLE_JWT.SIGNING_KEY", *signing_key, report)

    defaults = _qualified("", scalar_defaults(namespace, production))
    defaults.update(_qualified("REST_FRAMEWORK", rest_framework_defaults(namespace, production)))
    defaults.update(_qualified("SIMPLE_JWT", simple_jwt_defaults()))
    for name in GOVERNED_SETTINGS:
        if name in report:
            continue
        if name in defaults:
            _fill(namespace, name, *defaults[name], report)
        elif _is_set(namespace, name):
            report[name] = PROJECT
    _ensure_apps(namespace, report)
    _order_middleware(namespace, report)
    namespace["APISEC_HARDENING_REPORT"] = report


def _resolve_profile(
    namespace: Mapping[str, Any], argument: str | None, env: Mapping[str, str]
) -> tuple[str, str]:
    """The profile and where it came from: argument > settings > environment > production."""
    if argument:
        chosen, source = argument, PROJECT
    elif namespace.get("APISEC_PROFILE"):
        chosen, source = namespace["APISEC_PROFILE"], PROJECT
    elif env.get(PROFILE_ENV):
        chosen, source = env[PROFILE_ENV], ENVIRONMENT
    else:
        chosen, source = "production", PROFILE
    if chosen not in PROFILES:
        raise ImproperlyConfigured(
            f"APISEC_PROFILE must be one of {', '.join(PROFILES)}, not {chosen!r}."
        )
    return str(chosen), source


def _project_dict(namespace: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A copy of the project's ``REST_FRAMEWORK`` / ``SIMPLE_JWT``, so merging never mutates it."""
    value = namespace.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured(f"{name} must be a dict, not {type(value).__name__}.")
    return dict(value)


def _qualified(container: str, defaults: Mapping[str, Any]) -> dict[str, tuple[Any, str]]:
    """Profile defaults keyed by governed name (``REST_FRAMEWORK.X`` inside a container)."""
    prefix = f"{container}." if container else ""
    return {f"{prefix}{key}": (value, PROFILE) for key, value in defaults.items()}


def _target(namespace: MutableMapping[str, Any], name: str) -> tuple[MutableMapping[str, Any], str]:
    """The mapping that holds ``name`` and the key inside it (``REST_FRAMEWORK.X`` -> X)."""
    container, _, key = name.partition(".")
    if key:
        return namespace[container], key
    return namespace, name


def _is_set(namespace: MutableMapping[str, Any], name: str) -> bool:
    target, key = _target(namespace, name)
    return key in target


def _fill(
    namespace: MutableMapping[str, Any],
    name: str,
    value: Any,
    source: str,
    report: dict[str, str],
) -> None:
    """Set ``name`` to ``value`` unless the project set it; record where the result came from."""
    target, key = _target(namespace, name)
    if key not in target:
        target[key] = value
        report[name] = source
    elif name in NESTED_MERGES and isinstance(target[key], Mapping):
        # A project that sets some throttle rates must not lose the rates our throttle classes
        # need: DRF raises ImproperlyConfigured at request time for a scope without a rate.
        added = {k: v for k, v in value.items() if k not in target[key]}
        target[key] = {**added, **target[key]}
        report[name] = MERGED if added else PROJECT
    else:
        report[name] = PROJECT


def _resolve_secret_key(
    namespace: MutableMapping[str, Any],
    env: Mapping[str, str],
    production: bool,
) -> tuple[str, str]:
    """The ``SECRET_KEY`` to use when the project has none, and its source."""
    if namespace.get("SECRET_KEY"):
        return namespace["SECRET_KEY"], PROJECT
    # An empty key is as good as none: Django refuses to start with it.
    namespace.pop("SECRET_KEY", None)
    if env.get(SECRET_KEY_ENV):
        return env[SECRET_KEY_ENV], ENVIRONMENT
    if production:
        raise ImproperlyConfigured(
            f"SECRET_KEY is not set. Set the {SECRET_KEY_ENV} environment variable to a random "
            "value of at least 50 characters, e.g. "
            '`python -c "import secrets; print(secrets.token_urlsafe(64))"`.'
        )
    # Development only: a throwaway key, valid for this process.
    return secrets.token_urlsafe(64), PROFILE


def _resolve_jwt_signing_key(
    namespace: MutableMapping[str, Any],
    env: Mapping[str, str],
    production: bool,
) -> tuple[str, str]:
    """The JWT signing key to use when ``SIMPLE_JWT`` has none, and its source."""
    jwt = namespace["SIMPLE_JWT"]
    if jwt.get("SIGNING_KEY"):
        return jwt["SIGNING_KEY"], PROJECT
    # An empty key is as good as none.
    jwt.pop("SIGNING_KEY", None)
    if env.get(JWT_SIGNING_KEY_ENV):
        return env[JWT_SIGNING_KEY_ENV], ENVIRONMENT
    if production:
        raise ImproperlyConfigured(
            f"The JWT signing key is not set. Set the {JWT_SIGNING_KEY_ENV} environment variable "
            f"to a random value of at least 64 characters, distinct from {SECRET_KEY_ENV}."
        )
    return development_jwt_signing_key(namespace.get("SECRET_KEY") or ""), PROFILE


def development_jwt_signing_key(secret_key: str | bytes) -> str:
    """The development JWT signing key: derived from ``SECRET_KEY``, never equal to it.

    Stable for one ``SECRET_KEY`` (tokens survive a reload of the development server), useless
    for forging session data, and never used in production, which requires its own key.
    """
    key = secret_key if isinstance(secret_key, bytes) else str(secret_key).encode()
    return hmac.new(key, b"django_apisec.jwt-signing-key", hashlib.sha256).hexdigest()


def _ensure_apps(namespace: MutableMapping[str, Any], report: dict[str, str]) -> None:
    """Add the apps the hardened settings rely on, after the project's own."""
    project_set = "INSTALLED_APPS" in namespace
    apps = list(namespace.get("INSTALLED_APPS") or ())
    # Not simplejwt's token_blacklist: the token families of django_apisec.jwt.families replace it.
    required = ["django_apisec", "rest_framework", "corsheaders"]
    missing = [app for app in required if not has_app(apps, app)]
    namespace["INSTALLED_APPS"] = apps + missing
    if not project_set:
        report["INSTALLED_APPS"] = PROFILE
    else:
        report["INSTALLED_APPS"] = MERGED if missing else PROJECT


def _order_middleware(namespace: MutableMapping[str, Any], report: dict[str, str]) -> None:
    """Order the project's middleware (startproject's stack when it has none); record the source."""
    project_set = "MIDDLEWARE" in namespace
    original = list(namespace.get("MIDDLEWARE") or ()) if project_set else list(DEFAULT_MIDDLEWARE)
    ordered = ordered_middleware(original)
    namespace["MIDDLEWARE"] = ordered
    if not project_set:
        report["MIDDLEWARE"] = PROFILE
    else:
        report["MIDDLEWARE"] = PROJECT if ordered == original else MERGED
