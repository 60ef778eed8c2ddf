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
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from django_apisec.abuse import devices, limiter
from django_apisec.abuse.usernames import canonical_username, submitted_username
from django_apisec.request.addresses import client_ip, rate_bucket_ip
from django_apisec.request.state import ThrottleDecision, state_of
from django_apisec.store import failures

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
    "count_failed_authentication",
    "keep_prefetched",
    "prefetched_hits",
    "ratelimit_rate",
    "refund_login_throttles",
    "throttle_key",
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
        key = throttle_key(scope, ident)
        state = state_of(request)
        ahead = state.prefetched_decisions.pop(key, None)
        state.prefetched_refunds.pop(key, None)
        if isinstance(ahead, limiter.Decision) and ahead.rate == rate:
            decision = self.decision = ahead
        else:
            decision = self.decision = limiter.hit(key, rate, failure_policy=self.failure_policy)
        state.throttle_decisions.append(
            ThrottleDecision(
                scope, rate.limit, rate.period, decision.remaining, decision.reset, decision.allowed
            )
        )
        if self.refund_on_login and decision.allowed:
            # The open policy never raises: a lost refund only costs the client one unit.
            refund = functools.partial(limiter.hit, key, rate, cost=-1, failure_policy="open")
            state.login_refunds.append(refund)
        return decision.allowed

    def wait(self) -> float | None:
        """Seconds until the next request would be allowed."""
        return None if self.decision is None else float(self.decision.retry_after)


#: The bucket prefix of an authenticated user (``user:<pk>``).
USER_BUCKET = "user:"


def throttle_key(scope: str, ident: str) -> str:
    """The limiter key of bucket ``ident`` of ``scope``.

    A user's bucket (``user:<pk>``) lives under the user's hash tag
    (:func:`~django_apisec.abuse.limiter.user_key`), with the revocation markers of the user's
    sessions: the authentication decides on both in one round trip.
    """
    try:
        if ident.startswith(USER_BUCKET):
            return limiter.user_key(ident[len(USER_BUCKET) :], f"throttle.{scope}")
        return limiter.limiter_key(f"throttle.{scope}", ident)
    except ValueError as exc:
        raise ImproperlyConfigured(f"Invalid throttle scope {scope!r}") from exc


def user_or_ip(request: Request) -> str:
    """``user:<pk>`` for an authenticated request, ``ip:<rate bucket>`` otherwise."""
    if request.user and request.user.is_authenticated:
        return f"{USER_BUCKET}{request.user.pk}"
    return f"ip:{rate_bucket_ip(request)}"


def prefetched_hits(request: Request, user_pk: str) -> list[tuple[str, limiter.Rate]]:
    """The ``(key, rate)`` of each per-user throttle of the request's view, for user ``user_pk``.

    The authentication counts them in its own round trip (the revocation check's) and leaves the
    decisions in the request's state (:func:`keep_prefetched`); each throttle then takes its
    decision instead of asking the store again.
    """
    view = (request.parser_context or {}).get("view")
    get_throttles = getattr(view, "get_throttles", None)
    if get_throttles is None:
        return []
    hits = []
    for throttle in get_throttles():
        # Only a bucket known to be user_or_ip(): a subclass choosing its own bucket decides
        # in its own round trip.
        if getattr(type(throttle), "get_bucket", None) not in PER_USER_BUCKETS:
            continue
        scope = throttle.get_scope(view)
        rate = None if scope is None else throttle.get_rate(scope)
        if scope is not None and rate is not None:
            hits.append((throttle_key(scope, f"{USER_BUCKET}{user_pk}"), rate))
    return hits


def keep_prefetched(
    request: Request, hits: list[tuple[str, limiter.Rate]], decisions: tuple[limiter.Decision, ...]
) -> None:
    """Leave decisions made ahead for the throttles; an unused allowed one is given back.

    DRF checks permissions before throttles: a request refused before its throttles ran must
    not have spent its quota, so the exception handler gives back what no throttle took.
    """
    state = state_of(request)
    for (key, rate), decision in zip(hits, decisions, strict=True):
        state.prefetched_decisions[key] = decision
        if decision.allowed:
            state.prefetched_refunds[key] = functools.partial(
                limiter.hit, key, rate, cost=-1, failure_policy="open"
            )


FAILED_AUTHENTICATION_SCOPE = "anon"


def count_failed_authentication(request: Request) -> None:
    """Count a refused credential toward the client's anonymous rate; 429 when over it.

    An invalid bearer token or API key is refused before any throttle runs; without this a
    client could present forged credentials without limit. The hit lands in the bucket of
    :class:`AnonRateThrottle` (the client's address, trusted-proxy aware), so a valid request
    (authenticated: never in that bucket) costs nothing. A store failure lets the 401 stand.
    """
    rate = limiter.parse_rate(throttle_rates().get(FAILED_AUTHENTICATION_SCOPE))
    if rate is None:
        return
    key = throttle_key(FAILED_AUTHENTICATION_SCOPE, rate_bucket_ip(request))
    decision = limiter.hit(key, rate, failure_policy="open")
    if decision.allowed:
        return
    state_of(request).throttle_decisions.append(
        ThrottleDecision(
            FAILED_AUTHENTICATION_SCOPE,
            rate.limit,
            rate.period,
            decision.remaining,
            decision.reset,
            decision.allowed,
        )
    )
    raise exceptions.Throttled(wait=decision.retry_after)


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


#: The ``get_bucket`` of throttles whose authenticated bucket is ``user:<pk>``.
PER_USER_BUCKETS = (UserRateThrottle.get_bucket, ScopedRateThrottle.get_bucket)


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

    def allow_request(self, request: Request, view: APIView) -> bool:
        """The global login rate first, while one is in force; then the account's own."""
        rate = tightened_login_rate()
        if rate is not None and not self._allow_tightened(request, rate):
            return False
        return super().allow_request(request, view)

    def _allow_tightened(self, request: Request, rate: limiter.Rate) -> bool:
        key = limiter.limiter_key(f"throttle.{TIGHTENED_SCOPE}", "global")
        decision = self.decision = limiter.hit(key, rate, failure_policy=self.failure_policy)
        state = state_of(request)
        state.throttle_decisions.append(
            ThrottleDecision(
                TIGHTENED_SCOPE,
                rate.limit,
                rate.period,
                decision.remaining,
                decision.reset,
                decision.allowed,
            )
        )
        if decision.allowed:
            # A successful login gives its hit back: only failures spend the global budget.
            refund = functools.partial(limiter.hit, key, rate, cost=-1, failure_policy="open")
            state.login_refunds.append(refund)
        return decision.allowed

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


#: The scope of the global login rate applied while an attack is fought.
TIGHTENED_SCOPE = "login_tightened"
TIGHTENING_FAILURE = failures.FailureLog(
    "django_apisec.abuse.throttling", "Store failed while reading the login tightening"
)


def tightening_key() -> str:
    """The store key holding the global login rate (a DRF rate string) while it applies.

    Written, with the tightening's duration as its expiry, by whoever decides that logins must
    be tightened (the attack detector of :mod:`django_apisec.monitoring`); read by
    :class:`LoginAccountRateThrottle`. It expires by itself: the policy relaxes with no one
    having to act.
    """
    return limiter.limiter_key("login.tightening", "global")


def tightened_login_rate() -> limiter.Rate | None:
    """The global login rate in force now, or ``None`` (none, or the store failed: logged)."""
    try:
        value = failures.attempt(
            lambda store: store.get(tightening_key()), TIGHTENING_FAILURE, policy=failures.OPEN
        )
    except failures.StoreFailed:
        return None
    try:
        return limiter.parse_rate(value)
    except ImproperlyConfigured:
        return None


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
