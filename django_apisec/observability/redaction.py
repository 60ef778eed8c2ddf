"""``RedactingFilter``: passwords, tokens, secrets, credentials and cookies never reach a log.

The filter rewrites each record before any handler formats it: the message (rendered with its
arguments), every ``extra`` value, the formatted traceback and the stack. It removes

* values of sensitive keys, in any notation a log line carries them: ``password=...``,
  ``"token": "..."``, ``'HTTP_COOKIE': '...'``, ``Authorization: ...``, query strings;
* credentials after an auth scheme (``Bearer ...``, ``Basic ...``) and anything shaped like a JWT;
* the exact values of ``SECRET_KEY``, its fallbacks and the JWT signing key, wherever they appear.

Put it on handlers (a logger's filters do not see records its children propagate); see
``docs/security-events.rst``. It never drops a record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REDACTED", "RedactingFilter", "is_sensitive_key", "redact_text", "redact_value"]

REDACTED = "[REDACTED]"

SENSITIVE_NAME = (
    r"[\w.-]*(?:passw(?:or)?d|passphrase|secret|token|api[_-]?key|authorization|cookie"
    r"|session(?:id)?|csrf|signing[_-]?key|private[_-]?key|credential|jwt|refresh|access)[\w.-]*"
)
_SENSITIVE_KEY = re.compile(rf"^{SENSITIVE_NAME}$", re.IGNORECASE)
# key=value, key: value, "key": "value", 'key': 'value' (dict reprs, query strings, headers).
_KEY_VALUE = re.compile(
    rf"""(?P<key>["']?\b{SENSITIVE_NAME}["']?\s*[:=]\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;&}\])]+)""",
    re.IGNORECASE,
)
# Header lines whose whole value is a credential: "Cookie: a=1; b=2", "Authorization: Bearer x".
_HEADER_LINE = re.compile(
    r"(?P<key>\b(?:set-cookie|cookie|(?:proxy-)?authorization):\s*)(?P<value>[^\r\n]+)",
    re.IGNORECASE,
)
_AUTH_SCHEME = re.compile(r"\b(?P<key>(?:Bearer|Basic|Digest|Token|JWT)\s+)[\w.~+/=-]+")
_JWT = re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*")

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD_ATTRIBUTES = frozenset(
    {*vars(logging.LogRecord("", 0, "", 0, "", (), None)), "message", "asctime", "taskName"}
)
# Values that are never secret and are copied as they are.
_PASSTHROUGH = (bool, int, float, type(None))
_MIN_SECRET_LENGTH = 8


def is_sensitive_key(key: object) -> bool:
    """Whether a mapping key or attribute name names a secret (``password``, ``HTTP_COOKIE``)."""
    return isinstance(key, str) and _SENSITIVE_KEY.match(key) is not None


def known_secrets() -> list[str]:
    """``SECRET_KEY``, ``SECRET_KEY_FALLBACKS`` and the JWT keys, longest first."""
    from django.conf import settings  # noqa: PLC0415 - logging may run before settings exist

    try:
        candidates: list[Any] = [getattr(settings, "SECRET_KEY", None)]
        candidates += list(getattr(settings, "SECRET_KEY_FALLBACKS", None) or [])
        jwt = getattr(settings, "SIMPLE_JWT", None) or {}
        if isinstance(jwt, Mapping):
            candidates += [jwt.get("SIGNING_KEY"), jwt.get("VERIFYING_KEY")]
    except Exception:  # noqa: BLE001 - unconfigured or broken settings: redact by pattern only
        return []
    found = {str(c) for c in candidates if isinstance(c, (str, bytes)) and len(c) >= 8}
    return sorted(found, key=len, reverse=True)


def redact_text(text: str, secrets: list[str] | None = None) -> str:
    """``text`` with every credential it carries replaced by ``[REDACTED]``."""
    for secret in known_secrets() if secrets is None else secrets:
        text = text.replace(secret, REDACTED)
    text = _HEADER_LINE.sub(rf"\g<key>{REDACTED}", text)
    text = _KEY_VALUE.sub(_replace_value, text)
    text = _AUTH_SCHEME.sub(rf"\g<key>{REDACTED}", text)
    return _JWT.sub(REDACTED, text)


def _replace_value(match: re.Match[str]) -> str:
    value = match.group("value")
    quote = value[0] if value[:1] in {'"', "'"} else ""
    return f"{match.group('key')}{quote}{REDACTED}{quote}"


def redact_value(value: Any, secrets: list[str] | None = None) -> Any:
    """A redacted copy of ``value``: strings scrubbed, sensitive keys of mappings blanked.

    Lists, tuples and mappings are copied; other objects are returned as they are (their
    ``repr`` is redacted if it reaches the message).
    """
    secrets = known_secrets() if secrets is None else secrets
    if isinstance(value, _PASSTHROUGH):
        return value
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "replace"), secrets)
    if isinstance(value, Mapping):
        return {
            key: REDACTED if is_sensitive_key(key) else redact_value(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(item, secrets) for item in value)
    return value


class RedactingFilter(logging.Filter):
    """Scrub credentials from the message, ``extra`` values, traceback and stack of a record.

    The message is rendered with its arguments first (``record.args`` is emptied), because an
    argument's ``repr`` (a dict of POST data, a request) is where secrets usually hide.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; always keep it."""
        secrets = known_secrets()
        record.msg = redact_text(record.getMessage(), secrets)
        record.args = ()
        for name, value in list(vars(record).items()):
            if name in _STANDARD_ATTRIBUTES:
                continue
            if is_sensitive_key(name):
                setattr(record, name, REDACTED)
            else:
                setattr(record, name, redact_value(value, secrets))
        if record.exc_info and not record.exc_text:
            # Format now, so handlers print the redacted text instead of formatting it again.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info, secrets)
        return True
