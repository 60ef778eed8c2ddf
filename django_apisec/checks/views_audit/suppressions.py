"""Accepting a views-audit finding on purpose: ``APISEC_AUDIT_SUPPRESSIONS``, each with a reason.

An entry is ``{"id": "apisec.W515", "target": "myproject.api.views.SchemaView", "reason": "..."}``:
it suppresses the findings of that id whose view (dotted path) or route is ``target`` (every
finding of the id when ``target`` is absent). An entry without a written reason suppresses
nothing and is itself a finding (apisec.E514), so an accepted risk always says why. Suppressed
findings disappear from ``check``; ``manage.py apisec_audit`` lists them with their reason.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import TYPE_CHECKING, Any, TypeVar

from django_apisec.checks.registry import deploy_check, emit, error
from django_apisec.conf import apisec_settings

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from django.core.checks import CheckMessage

E514 = error(
    "apisec.E514",
    "APISEC_AUDIT_SUPPRESSIONS entry {index} ({id}{target}) gives no reason: it suppresses "
    "nothing.",
    'Add a "reason" saying why the finding is accepted (e.g. "the schema is our published '
    'contract"), or remove the entry and fix the finding.',
)

# Set by manage.py apisec_audit: suppressed findings are returned, marked, instead of dropped.
keep_suppressed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "apisec_keep_suppressed", default=False
)

F = TypeVar("F", bound="Callable[..., Sequence[CheckMessage]]")


def dotted_path(obj: Any) -> str:
    """``module.QualName`` of a view class (an ``@api_view`` function's own name)."""
    if obj is None:
        return ""
    name, qualname = getattr(obj, "__name__", ""), getattr(obj, "__qualname__", "")
    shown = qualname if qualname.rsplit(".", 1)[-1] == name else name
    return f"{getattr(obj, '__module__', '')}.{shown}"


def targets(message: CheckMessage) -> set[str]:
    """What a suppression's ``target`` may name for ``message``: its view, its route."""
    found = {dotted_path(message.obj), getattr(message, "apisec_route", "")}
    return {t for t in found if t}


def _has_reason(entry: dict[str, str]) -> bool:
    return bool(str(entry.get("reason", "")).strip())


def reason_for(message: CheckMessage) -> str | None:
    """The reason ``message`` is suppressed for, or ``None`` when it is not."""
    for entry in apisec_settings.AUDIT_SUPPRESSIONS:
        if entry.get("id") != message.id or not _has_reason(entry):
            continue
        target = entry.get("target", "")
        if not target or target in targets(message):
            return entry["reason"].strip()
    return None


def apply(messages: Sequence[CheckMessage]) -> list[CheckMessage]:
    """``messages`` without the suppressed ones, or with them marked (``apisec_suppressed``)."""
    kept = []
    for message in messages:
        reason = reason_for(message)
        if reason is None:
            kept.append(message)
        elif keep_suppressed.get():
            message.apisec_suppressed = reason  # type: ignore[attr-defined]
            kept.append(message)
    return kept


@contextlib.contextmanager
def reporting_suppressed() -> Iterator[None]:
    """Within the block, audit checks return suppressed findings marked with their reason."""
    token = keep_suppressed.set(True)
    try:
        yield
    finally:
        keep_suppressed.reset(token)


def audit_check(func: F) -> F:
    """Register ``func`` as a views-audit deploy check whose findings honour suppressions."""

    def check(**kwargs: Any) -> list[CheckMessage]:
        return apply(func(**kwargs))

    check.__name__ = func.__name__
    check.__qualname__ = func.__qualname__
    check.__module__ = func.__module__
    check.__doc__ = func.__doc__
    deploy_check(check)
    return check  # type: ignore[return-value]


@deploy_check
def check_suppression_reasons(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E514: every suppression says why."""
    return [
        emit(
            E514,
            index=index,
            id=entry.get("id", ""),
            target=f", {entry['target']}" if entry.get("target") else "",
        )
        for index, entry in enumerate(apisec_settings.AUDIT_SUPPRESSIONS)
        if not _has_reason(entry)
    ]
