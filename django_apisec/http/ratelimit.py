"""``RateLimit-Policy`` and ``RateLimit``: the fields of draft-ietf-httpapi-ratelimit-headers-10.

DRF throttles cannot set response headers: each of django_apisec's throttles records its decision
in the request's state (:class:`~django_apisec.request.state.ThrottleDecision`), and the exception
handler writes these fields on the 429 from there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_apisec.request.state import state_of

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request

__all__ = ["ratelimit_headers"]


def ratelimit_headers(request: HttpRequest | Request | None) -> dict[str, str]:
    """``RateLimit-Policy`` and ``RateLimit`` for the throttles that decided on ``request``.

    One list member per decision, e.g. ``RateLimit-Policy: "anon";q=60;w=60`` and
    ``RateLimit: "anon";r=0;t=42``; no header when no throttle decided.
    """
    decisions = state_of(request).throttle_decisions if request is not None else []
    if not decisions:
        return {}
    policies = [f'"{d.scope}";q={d.limit};w={d.period}' for d in decisions]
    states = [f'"{d.scope}";r={d.remaining};t={d.reset}' for d in decisions]
    return {"RateLimit-Policy": ", ".join(policies), "RateLimit": ", ".join(states)}
