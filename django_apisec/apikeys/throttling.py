"""``ApiKeyRateThrottle``: requests per API key, exact across workers (one limiter hit).

The rate is ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"]`` (e.g. ``"600/min"``), read
on every request. Requests not authenticated by a key are left to the other throttles; a key's
requests also count toward its owner's ``user`` rate. A 429 carries ``Retry-After`` and the
RateLimit headers, like every throttle of :mod:`django_apisec.abuse.throttling`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_apisec.abuse.throttling import RateThrottle
from django_apisec.models import APIKey

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

__all__ = [
    "ApiKeyRateThrottle",
]


class ApiKeyRateThrottle(RateThrottle):
    """Requests per API key, rate ``"api_key"``."""

    scope = "api_key"

    def get_bucket(self, request: Request, view: APIView) -> str | None:
        """The key's id; ``None`` (not limited here) for a request without a key."""
        key = request.auth
        return str(key.pk) if isinstance(key, APIKey) else None
