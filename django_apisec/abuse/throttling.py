"""DRF throttle classes that hold their limits exactly across processes and machines.

Each decision is one atomic hit on the limiter (:mod:`django_apisec.abuse.limiter`). Rates are read
at call time from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (DRF's own throttles copy them at
import, so ``override_settings`` cannot reach them). Clients are identified by
:func:`~django_apisec.request.addresses.rate_bucket_ip`, never by a header a client controls.

A 429 carries ``Retry-After`` and the ``RateLimit-Policy`` / ``RateLimit`` fields of
draft-ietf-httpapi-ratelimit-headers-10: each throttle records its decision in the request's state
(:mod:`django_apisec.request.state`), from which the exception handler writes them
(:mod:`django_apisec.http.ratelimit`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.throttling import BaseThrottle

from django_apisec.abuse import devices, limiter
from django_apisec.abuse.usernames import canonical_username, submitted_username
from django_apisec.request.addresses import client_ip, rate_bucket_ip
from django_apisec.request.state import ThrottleDecision, state_of

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request
    from rest_framework.views import APIView

__all__ = [
    "AnonRateThrottle",
    "LoginAccountRateThrottle",
    "LoginIPRateThrottle",
    "RateThrottle",
    "ScopedRateThrottle",
    "UserRateThrottle",
    "ratelimit_rate",
    "refund_login_throttles",
    "throttle_rates",
    "user_or_ip",
]


def throttle_rates() -> Mapping[str, Any]:
    """``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` now; ``{}`` when it is not a mapping."""
    rest_framework = getattr(settings, "REST_FRAMEWORK", {})
    if not isinstance(rest_framework, Mapping):
        return {}
    rates = rest_framework.get("DEFAULT_THROTTLE_RATES")
    return rates if isinstance(rates, Mapping) else {}


class RateThrottle(BaseThrottle):
    """Base: one limiter hit per request for the bucket ``get_bucket()`` names.

    Subclasses set ``scope`` (the key of the rate in ``DEFAULT_THROTTLE_RATES``) and implement
    ``get_bucket()``. ``failure_policy`` (``"open"`` / ``"closed"``) overrides
    ``APISEC_FAILURE_POLICY`` for this class.
    """

    scope: str | None = None
    failure_policy: str | None = None
    #: Whether a successful login gives the hit back (see :func:`refund_login_throttles`).
    refund_on_login = False

    def __init__(self) -> None:
        self.decision: limiter.Decision | None = None

    def get_scope(self, view: APIView) -> str | None:
        """The rate's key in ``DEFAULT_THROTTLE_RATES``."""
        return self.scope

    def get_rate(self, scope: str) -> limiter.Rate | None:
        """The scope's rate, read now; a scope without a rate is not limited."""
        return limiter.parse_rate(throttle_rates().get(scope))

    def get_bucket(self, request: Request, view: APIView) -> str | None:
        """The bucket of this request, or ``None`` when this throttle does not apply."""
        raise NotImplementedError

    def get_ident(self, request: Request) -> str:
        """The client's address by :func:`~django_apisec.request.addresses.client_ip`, not DRF's."""
        return client_ip(request)

    def allow_request(self, request: Request, view: APIView) -> bool:
        """Count the request in its bucket; ``False`` when over the rate."""
        scope = self.get_scope(view)
        if scope is None:
            return True
        rate = self.get_rate(scope)
        ident = self.get_bucket(request, view) if rate is not None else None
        if rate is None or ident is None:
            return True
        try:
            key = limiter.limiter_key(f"throttle.{scope}", ident)
        except ValueError as exc:
            raise ImproperlyConfigured(f"Invalid throttle scope {scope!r}") from exc
        decision = self.decision = limiter.hit(key, rate, failure_policy=self.failure_policy)
        state = state_of(request)
        state.throttle_decisions.append(
            ThrottleDecision(scope, rate.limit, rate.period, decision.remaining, decision.reset)
        )
        if self.refund_on_login and decision.allowed:
            # The open policy never raises: a lost refund only costs the client one unit.
            refund = functools.partial(limiter.hit, key, rate, cost=-1, failure_policy="open")
            state.login_refunds.append(refund)
        return decision.allowed

    def wait(self) -> float | None:
        """Seconds until the next request would be allowed."""
        return None if self.decision is None else float(self.decision.retry_after)


def user_or_ip(request: Request) -> str:
    """``user:<pk>`` for an authenticated request, ``ip:<rate bucket>`` otherwise."""
    if request.user and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{rate_bucket_ip(request)}"


class AnonRateThrottle(RateThrottle):
    """Anonymous requests per client IP (IPv6 per /64), rate ``"anon"``."""

    scope = "anon"

    def get_bucket(self, request: Request, view: APIView) -> str | None:
        """The client's IP bucket; authenticated requests are left to the user throttle."""
        if request.user and request.user.is_authenticated:
            return None
        return rate_bucket_ip(request)


class UserRateThrottle(RateThrottle):
    """Requests per user (anonymous ones per client IP), rate ``"user"``."""

    scope = "user"

    def get_bucket(self, request: Request, view: APIView) -> str | None:
        """``user:<pk>``, or ``ip:<bucket>`` for anonymous requests."""
        return user_or_ip(request)


class ScopedRateThrottle(RateThrottle):
    """Requests per user (or IP) at the rate named by the view's ``throttle_scope``."""

    def get_bucket(self, request: Request, view: APIView) -> str | None:
        """``user:<pk>``, or ``ip:<bucket>`` for anonymous requests."""
        return user_or_ip(request)

    def get_scope(self, view: APIView) -> str | None:
        """The view's ``throttle_scope``; views without one are not limited here."""
        scope = getattr(view, "throttle_scope", None)
        return scope if isinstance(scope, str) and scope else None


class LoginIPRateThrottle(RateThrottle):
    """Login attempts per client IP, rate ``"login_ip"``; a successful login is given back.

    Only failures use up the quota, so a shared address (an office NAT) is not locked out by
    its own successful logins; a success gives back exactly its own hit and never resets the
    failures counted before it.
    """

    scope = "login_ip"
    refund_on_login = True

    def get_bucket(self, request: Request, view: APIView) -> str | None:
        """The client's IP bucket."""
        return rate_bucket_ip(request)


class LoginAccountRateThrottle(RateThrottle):
    """Login attempts per account (canonical username), rate ``"login_account"``.

    Independent of the client address, so a botnet gets no more guesses than one client;
    successful logins are given back. A client with a trusted-device cookie for the account
    counts in its own bucket, as in the lockout: an attacker spending the account's quota does
    not stop its owner's known devices.
    """

    scope = "login_account"
    refund_on_login = True

    def get_bucket(self, request: Request, view: APIView) -> str | None:
        """The canonical username in the request body; ``None`` when absent."""
        # A malformed or oversized body raises here and is answered as what it is (400 / 413 /
        # 415, recorded as input_rejected): swallowing it would hand the view empty data.
        username = submitted_username(request.data)
        if username is None:
            return None
        account = canonical_username(username)
        device = devices.device_for(request, account)
        return account if device is None else f"{account}\x00{device}"


def refund_login_throttles(request: HttpRequest | Request | None) -> None:
    """Give back the login throttles' hits of ``request`` (call it after a successful login).

    The lockout backend calls it, so any login view that uses ``authenticate()`` gets it. A
    refund that fails is logged by the limiter and otherwise ignored.
    """
    if request is None:
        return
    state = state_of(request)
    refunds, state.login_refunds = state.login_refunds, []
    for refund in refunds:
        refund()


def ratelimit_rate(group: str, request: Any) -> str | None:  # noqa: ARG001 (django-ratelimit's signature)
    """A django-ratelimit ``rate``: the rate of the scope named by ``group``, read now.

    ``@ratelimit(group="login_ip", key="django_apisec.request.addresses.ratelimit_key",
    rate="django_apisec.abuse.throttling.ratelimit_rate")`` limits a plain Django view at the
    same rate as the DRF throttle of that scope; ``None`` (no rate) means no limit.
    """
    rate = throttle_rates().get(group)
    return rate if isinstance(rate, str) else None
