"""The one registry of ``apisec.*`` check ids.

Every message is declared once, as a module-level constant of its topic module, through
:func:`error` or :func:`warning`; declaring an id twice fails at import. ``MESSAGES`` is what the
documentation test compares with ``docs/checks/*.rst``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning

MESSAGES: dict[str, CheckMessage] = {}

CheckFunction = Callable[..., Sequence[CheckMessage]]
F = TypeVar("F", bound=CheckFunction)


def _declare(level: type[Error | CheckWarning], id_: str, msg: str, hint: str) -> CheckMessage:
    if id_ in MESSAGES:
        raise RuntimeError(f"check id {id_} is declared twice")
    message = level(msg, hint=hint, id=id_)
    MESSAGES[id_] = message
    return message


def error(id_: str, msg: str, hint: str) -> CheckMessage:
    """Declare an error: it makes ``check --deploy`` exit non-zero."""
    return _declare(Error, id_, msg, hint)


def warning(id_: str, msg: str, hint: str) -> CheckMessage:
    """Declare a warning: reported, but ``check --deploy`` still exits 0."""
    return _declare(CheckWarning, id_, msg, hint)


def emit(template: CheckMessage, obj: Any = None, **details: object) -> CheckMessage:
    """Return a copy of a declared message, its text filled with ``details``."""
    message = copy.copy(template)
    message.msg = template.msg.format(**details) if details else template.msg
    if details and template.hint:
        message.hint = template.hint.format(**details)
    message.obj = obj
    return message


def deploy_check(func: F) -> F:
    """Register ``func`` as a security check that runs with ``check --deploy``."""
    register(Tags.security, "apisec", deploy=True)(func)
    return func


def config_check(func: F) -> F:
    """Register ``func`` as a check that runs on every ``check`` (a broken configuration)."""
    register(Tags.security, "apisec")(func)
    return func
