"""The failure policy of the store: what an operation does when ``APISEC_CACHE`` fails.

Every store operation of the limiter, the lockout and the revocation markers runs through
:func:`attempt`. When it fails (connection refused, timeout, out of memory, a missing cache
alias: any exception), the failure is logged and :class:`StoreFailed` tells the caller the policy
in force:

* ``"closed"`` — the caller refuses the request it guards (the limiter's decision and the
  lockout's reservation under ``APISEC_FAILURE_POLICY = "closed"``, the default: 503 with
  ``Retry-After``). An attacker who can knock the store over must not gain unlimited attempts.
* ``"open"`` — the caller goes on without the store: the limiter and the lockout under
  ``APISEC_FAILURE_POLICY = "open"``; always for a throttle's refund, for the lockout's writes
  after a reservation held (the login itself was decided), and for the revocation check (an
  access token is accepted: it still expires within ``ACCESS_TOKEN_LIFETIME``, refreshing is
  checked in the database, and failing closed would log every user out during an outage).

Logging is rate-limited: one line per :data:`FAILURE_LOG_INTERVAL` per kind of failure and
process, so an outage under load does not flood the logs. The clocks restart when ``CACHES`` or
``APISEC_CACHE`` change (a new store's first failure is always logged).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.signals import setting_changed
from django.dispatch import receiver

from django_apisec.conf import FAILURE_POLICIES, apisec_settings
from django_apisec.store.backends import current_store

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from django_apisec.store.backends import Store

T = TypeVar("T")

OPEN = "open"
CLOSED = "closed"
#: Seconds between two log lines of the same kind of failure, per process.
FAILURE_LOG_INTERVAL = 10.0

_last_logged: dict[FailureLog, float] = {}


@dataclass(frozen=True)
class FailureLog:
    """A kind of store failure and its log line, written at most once per interval.

    ``message`` is %-formatted with a mapping: ``alias`` (``APISEC_CACHE``), ``policy`` and the
    caller's ``context``. With an ``event``, the record also carries ``event`` and the context as
    attributes (security events are read by their ``event``).
    """

    logger: str
    message: str
    event: str | None = None

    def log(self, exc: Exception, context: Mapping[str, Any]) -> None:
        """Log ``exc`` unless this kind of failure was logged less than an interval ago."""
        now = time.monotonic()
        last = _last_logged.get(self)
        if last is not None and now - last < FAILURE_LOG_INTERVAL:
            return
        _last_logged[self] = now
        extra = None if self.event is None else {"event": self.event, **context}
        logging.getLogger(self.logger).error(self.message, context, exc_info=exc, extra=extra)


class StoreFailed(Exception):  # noqa: N818 (not an error of ours: the store's, already logged)
    """A store operation failed and was logged; ``policy`` says what the caller does now."""

    def __init__(self, policy: str) -> None:
        super().__init__(policy)
        self.policy = policy

    @property
    def fails_open(self) -> bool:
        """Whether the caller goes on without the store."""
        return self.policy == OPEN


def failure_policy(override: str | None = None) -> str:
    """The policy of one operation: a valid ``override``, else ``APISEC_FAILURE_POLICY``."""
    if override is not None and override in FAILURE_POLICIES:
        return override
    return apisec_settings.FAILURE_POLICY


def attempt(
    operation: Callable[[Store], T],
    failure: FailureLog,
    *,
    policy: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> T:
    """``operation(store)`` on the ``APISEC_CACHE`` store, or :class:`StoreFailed` (logged)."""
    try:
        return operation(current_store())
    except Exception as exc:
        resolved = failure_policy(policy)
        failure.log(exc, {"alias": apisec_settings.CACHE, "policy": resolved, **(context or {})})
        raise StoreFailed(resolved) from exc


@receiver(setting_changed)
def restart_failure_clocks(*, setting: str, **kwargs: Any) -> None:
    """A changed store configuration is a new store: its first failure is logged."""
    if setting in {"CACHES", "APISEC_CACHE"}:
        _last_logged.clear()
