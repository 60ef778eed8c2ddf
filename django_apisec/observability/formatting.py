"""The security log's output: JSON lines, and the ``LOGGING`` ``harden()`` installs by default.

:class:`JsonLinesFormatter` writes one JSON object per record, on one line whatever the record
holds (newlines in a message are escaped, so a client cannot forge a log line). A security event
(:func:`django_apisec.observability.events.record`) contributes its fixed keys: ``event``,
``outcome``, ``time``, ``request_id``, ``client_ip``, ``user_id``, ``path``, ``method`` and its own
fields.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

from django_apisec import dotted_paths

__all__ = ["JsonLinesFormatter", "default_logging"]

FILTERS = {
    "apisec_request_id": {"()": dotted_paths.REQUEST_ID_FILTER},
    "apisec_redact": {"()": dotted_paths.REDACTING_FILTER},
}


class JsonLinesFormatter(logging.Formatter):
    """Format a record as one line of JSON (``time``, ``level``, ``logger``, ``message``, ...).

    Security events add their payload (a field named like one of these keys is left out); a
    record with an exception adds ``exception`` (the traceback text, as redacted by
    :class:`~django_apisec.observability.redaction.RedactingFilter` when that filter ran first).
    Values that are not JSON are written as their ``str()``.
    """

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON object on one line."""
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        event = getattr(record, "security_event", None)
        if isinstance(event, dict):
            # An event's field never replaces the line's own (time, level, logger, ...).
            payload.update((key, value) for key, value in event.items() if key not in payload)
        elif getattr(record, "event", None) is not None:
            payload["event"] = getattr(record, "event", None)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exception"] = record.exc_text
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return json.dumps(payload, default=str, ensure_ascii=True, separators=(",", ":"))


def default_logging() -> dict[str, Any]:
    """The ``LOGGING`` ``harden()`` installs when the project has none.

    Security events (``django_apisec.*``), Django's security warnings (``django.security``:
    disallowed hosts, oversized bodies) and server errors (``django.request`` at ``ERROR``:
    tracebacks of 500s) go to stderr as JSON lines, redacted and tagged with the request id.
    Every other logger keeps Django's defaults (``disable_existing_loggers`` is ``False``).
    """
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "apisec_json",
        "filters": list(FILTERS),
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {name: dict(config) for name, config in FILTERS.items()},
        "formatters": {"apisec_json": {"()": dotted_paths.JSON_LINES_FORMATTER}},
        "handlers": {
            "apisec_stderr": dict(handler),
            "apisec_stderr_errors": {**handler, "level": "ERROR"},
        },
        "loggers": {
            "django_apisec": {"handlers": ["apisec_stderr"], "level": "INFO"},
            "django.security": {"handlers": ["apisec_stderr"], "level": "INFO"},
            "django.request": {"handlers": ["apisec_stderr_errors"]},
        },
    }
