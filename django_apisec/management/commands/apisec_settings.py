"""``manage.py apisec_settings [--json]``: the effective security settings and their origin.

Shows every setting :func:`~django_apisec.hardening.harden` governs (``REST_FRAMEWORK.X`` and
``SIMPLE_JWT.X`` for keys of those dicts), its effective value and where it came from: the
project, the profile default, the environment, merged by ``harden()``, or the framework's own
default when ``harden()`` was not called or did not cover it. Secrets are never printed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.management.base import BaseCommand

from django_apisec.conf import apisec_settings
from django_apisec.hardening.apply import PROJECT
from django_apisec.hardening.profiles import GOVERNED_SETTINGS, SECRET_SETTINGS

if TYPE_CHECKING:
    from django.core.management.base import CommandParser

DJANGO_DEFAULT = "django default"
NOT_SET = "<not set>"
_MISSING = object()


def package_defaults(container: str) -> Mapping[str, Any]:
    """The defaults DRF or simplejwt use for keys a project's dict does not set."""
    if container == "REST_FRAMEWORK":
        from rest_framework.settings import DEFAULTS  # noqa: PLC0415

        return DEFAULTS
    from rest_framework_simplejwt.settings import DEFAULTS as JWT_DEFAULTS  # noqa: PLC0415

    return JWT_DEFAULTS


def effective_value(name: str) -> Any:
    """The value Django (or DRF/simplejwt, for a dict key) uses for ``name``; ``_MISSING``."""
    container, _, key = name.partition(".")
    if not key:
        return getattr(settings, name, _MISSING)
    project = getattr(settings, container, None)
    if isinstance(project, Mapping) and key in project:
        return project[key]
    return package_defaults(container).get(key, _MISSING)


def origin(name: str, report: Mapping[str, str]) -> str:
    """Where ``name``'s value came from, per ``harden()``'s report or else the settings."""
    if name in report:
        return str(report[name])
    container, _, key = name.partition(".")
    if not key:
        # django-stubs lacks is_overridden(), which Settings and override_settings both have.
        overridden = settings.is_overridden(name)  # type: ignore[misc]
        return PROJECT if overridden else DJANGO_DEFAULT
    project = getattr(settings, container, None)
    return PROJECT if isinstance(project, Mapping) and key in project else DJANGO_DEFAULT


def mask(value: Any) -> str:
    """A description of a secret that says whether it is set, never what it is."""
    if value is _MISSING or value is None or value == "":
        return NOT_SET
    if isinstance(value, (str, bytes)):
        return f"<set, {len(value)} chars>"
    if isinstance(value, (list, tuple)):
        return f"<set, {len(value)} values>" if value else "<empty>"
    return "<set>"


def jsonable(value: Any) -> Any:
    """``value`` as JSON data: containers recursively, anything else as its string."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(item) for item in value), key=str)
    return str(value)


def security_settings() -> list[dict[str, Any]]:
    """One row per governed setting: ``name``, ``value`` (masked if secret), ``source``."""
    report = apisec_settings.HARDENING_REPORT
    rows = []
    for name in GOVERNED_SETTINGS:
        value = effective_value(name)
        if name in SECRET_SETTINGS:
            shown: Any = mask(value)
        elif value is _MISSING:
            shown = NOT_SET
        else:
            shown = value
        rows.append({"name": name, "value": shown, "source": origin(name, report)})
    return rows


def active_profile() -> str | None:
    """The profile ``harden()`` applied, or ``None`` when it was not called."""
    if not apisec_settings.HARDENING_REPORT:
        return None
    return apisec_settings.PROFILE


class Command(BaseCommand):
    """Show the effective security settings and where each value came from."""

    help = (
        "Show every security setting django_apisec's harden() governs, its effective value "
        "(secrets masked) and where it came from."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        """``--json`` for machine-readable output."""
        parser.add_argument(
            "--json", action="store_true", help="Print a JSON document instead of a table."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Print the table or the JSON document."""
        rows = security_settings()
        profile = active_profile()
        if options["json"]:
            document = {"profile": profile, "hardened": profile is not None, "settings": rows}
            self.stdout.write(json.dumps(jsonable(document), indent=2))
            return
        if profile is None:
            self.stdout.write("Profile: none (harden() was not called in settings.py)")
        else:
            self.stdout.write(f"Profile: {profile}")
        self.stdout.write("")
        table = [("SETTING", "SOURCE", "VALUE")]
        table += [(row["name"], row["source"], _display(row["value"])) for row in rows]
        name_width = max(len(name) for name, _, _ in table)
        source_width = max(len(source) for _, source, _ in table)
        for name, source, value in table:
            self.stdout.write(f"{name:<{name_width}}  {source:<{source_width}}  {value}")


def _display(value: Any) -> str:
    # Masks and <not set> are shown as they are; values as they would be written in Python.
    if isinstance(value, str) and value.startswith("<") and value.endswith(">"):
        return value
    return repr(value)
