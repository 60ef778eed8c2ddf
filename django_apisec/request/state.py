"""What django_apisec's layers learn about a request and pass on: one typed object per request.

The middleware, the throttles, the lockout and the exception handler each learn something about a
request that a later layer needs: its id, the throttle decisions behind the ``RateLimit`` header
fields, why the lockout refused a login, the trusted-device token to set, whether the body went
over its limit. All of it lives in one :class:`RequestState`, reached through :func:`state_of`.

DRF wraps Django's request in its own ``Request`` for each view; the state is kept on the Django
request, which outlives the wrapper (the middleware sees it after the view returned), so both
reach the same state. :func:`django_request` is the one place that unwraps a DRF request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from collections.abc import Callable

    from rest_framework.request import Request

__all__ = [
    "ATTRIBUTE",
    "LockoutRefusal",
    "RequestState",
    "ThrottleDecision",
    "django_request",
    "state_of",
]

#: The one attribute django_apisec sets on a Django request.
ATTRIBUTE = "apisec_state"


@dataclass(frozen=True)
class ThrottleDecision:
    """One throttle's decision on a request, as the ``RateLimit`` header fields report it."""

    #: The throttle's scope (the key of its rate in ``DEFAULT_THROTTLE_RATES``).
    scope: str
    #: The quota: ``limit`` requests per ``period`` seconds.
    limit: int
    period: int
    #: Requests left in the window, and seconds until the whole quota is available again.
    remaining: int
    reset: int
    #: Whether this throttle let the request through.
    allowed: bool = True


@dataclass(frozen=True)
class LockoutRefusal:
    """Why a login was refused before its password was checked."""

    #: ``"locked"`` (the account's bucket is locked), ``"unavailable"`` (the store is down and
    #: the failure policy is closed) or ``"busy"`` (every password-hashing slot stayed busy).
    reason: str
    retry_after: int
    #: The locked account's identifier (``account_id()``; for the security event, never shown).
    account: str | None = None


@dataclass
class RequestState:
    """Everything django_apisec carries from one layer to another during a request."""

    #: The request id (:func:`django_apisec.request.request_id.request_id`), once chosen.
    request_id: str | None = None
    #: The decisions of the throttles that ran, for the ``RateLimit`` header fields of a 429.
    throttle_decisions: list[ThrottleDecision] = field(default_factory=list)
    #: Hits to give back when the login succeeds (the login throttles count failures only).
    login_refunds: list[Callable[[], object]] = field(default_factory=list)
    #: The identifier (``account_id()``) of the account a login in this request tried, if any.
    login_account: str | None = None
    #: Set when the lockout refused the login without checking the password.
    lockout_refusal: LockoutRefusal | None = None
    #: A trusted-device token issued by a successful login, to be set as a cookie.
    trusted_device_token: str | None = None
    #: Set when the body went over ``APISEC_MAX_BODY_SIZE`` while being read.
    body_too_large: bool = False
    #: Throttle decisions made ahead, by the authentication's one round trip, keyed by limiter
    #: key (each a :class:`~django_apisec.abuse.limiter.Decision`); a throttle takes its own.
    prefetched_decisions: dict[str, object] = field(default_factory=dict)
    #: How to give back each allowed decision made ahead that no throttle took (the request was
    #: refused before its throttles ran), keyed like ``prefetched_decisions``.
    prefetched_refunds: dict[str, Callable[[], object]] = field(default_factory=dict)


def django_request(request: HttpRequest | Request) -> HttpRequest:
    """The Django request: ``request`` itself, or the one a DRF ``Request`` wraps."""
    if isinstance(request, HttpRequest):
        return request
    return request._request


def state_of(request: HttpRequest | Request) -> RequestState:
    """The state of ``request`` (a Django or a DRF request), created on first use."""
    target = django_request(request)
    state = getattr(target, ATTRIBUTE, None)
    if not isinstance(state, RequestState):
        state = RequestState()
        setattr(target, ATTRIBUTE, state)
    return state
