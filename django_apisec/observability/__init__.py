"""Security events, log redaction and the JSON-lines log format.

Import the public names from here (``from django_apisec.observability import ...``,
docs/api.rst). They are loaded on first access: importing this package imports neither DRF nor a
model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_apisec import lazy_exports

if TYPE_CHECKING:
    from django_apisec.observability.events import (
        SecurityEvent,
        record,
    )
    from django_apisec.observability.formatting import JsonLinesFormatter
    from django_apisec.observability.redaction import RedactingFilter

__all__ = [
    "JsonLinesFormatter",
    "RedactingFilter",
    "SecurityEvent",
    "record",
]

# Grouped by defining module: a module that moves changes one group.
_EXPORTS = {
    # events
    "SecurityEvent": "django_apisec.observability.events",
    "record": "django_apisec.observability.events",
    # formatting
    "JsonLinesFormatter": "django_apisec.observability.formatting",
    # redaction
    "RedactingFilter": "django_apisec.observability.redaction",
}


def __getattr__(name: str) -> object:
    return lazy_exports.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return lazy_exports.names(globals(), _EXPORTS)
