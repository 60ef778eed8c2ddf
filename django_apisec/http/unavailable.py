"""503 + ``Retry-After``: a service the API depends on is unavailable, never a 500.

:class:`ServiceUnavailable` is the answer when the abuse-control store refuses a write that must
happen (a revocation marker) or the database cannot be reached or has no connection to spare
(refused, unknown database, a pool timeout, the server shutting down). Every such refusal carries
the same body, ``{"detail": "Service temporarily unavailable, try again later.", "code":
"service_unavailable"}``, and ``Retry-After``: a client cannot tell (and need not know) which
dependency failed; the log says it.

A database failure is logged once per :data:`DATABASE_LOG_INTERVAL` per process on
``django_apisec.security`` with ``event="database_unavailable"`` and the exception's class (never
its message: it may carry a connection string), so an outage under load does not flood the log.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import InterfaceError, OperationalError
from rest_framework import exceptions, status

__all__ = [
    "FAILURE_RETRY_AFTER",
    "ServiceUnavailable",
    "database_unavailable",
    "is_database_unavailable",
]

#: Seconds a client is asked to wait when a dependency is unavailable.
FAILURE_RETRY_AFTER = 10
#: Seconds between two ``database_unavailable`` log lines, per process.
DATABASE_LOG_INTERVAL = 10.0
DATABASE_EVENT = "database_unavailable"

logger = logging.getLogger("django_apisec.security")
_logged_at: dict[str, float] = {}


class ServiceUnavailable(exceptions.APIException):
    """A dependency of the API is unavailable: 503 with ``Retry-After`` (``wait`` seconds)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Service temporarily unavailable, try again later."
    default_code = "service_unavailable"

    def __init__(self, wait: int = FAILURE_RETRY_AFTER) -> None:
        super().__init__()
        self.wait = wait


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot serve now (Django's wrapped driver errors:
    ``OperationalError`` for a refused or lost connection, an unknown database, a pool timeout;
    ``InterfaceError`` for a closed connection)."""
    return isinstance(exc, (OperationalError, InterfaceError))


def database_unavailable(exc: BaseException, **context: Any) -> ServiceUnavailable:
    """Log a database failure (rate-limited) and return the 503 to answer with."""
    now = time.monotonic()
    last = _logged_at.get(DATABASE_EVENT)
    if last is None or now - last >= DATABASE_LOG_INTERVAL:
        _logged_at[DATABASE_EVENT] = now
        logger.error(
            "Database unavailable (%s): answered 503 with Retry-After",
            type(exc).__name__,
            extra={"event": DATABASE_EVENT, "error": type(exc).__name__, **context},
        )
    return ServiceUnavailable()
