"""The testproject's URLs plus one plain Django view behind django-ratelimit (for the benchmarks).

The view is limited the way django_apisec documents for non-DRF views: our client key
(``django_apisec.request.addresses.ratelimit_key``) and the ``anon`` rate of
``DEFAULT_THROTTLE_RATES``.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django_ratelimit.decorators import ratelimit


@ratelimit(
    group="anon",
    key="django_apisec.request.addresses.ratelimit_key",
    rate="django_apisec.abuse.throttling.ratelimit_rate",
    block=False,
)
def limited_health(request: HttpRequest) -> JsonResponse:
    if getattr(request, "limited", False):
        return JsonResponse({"detail": "throttled", "code": "throttled"}, status=429)
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("bench/ratelimited/", limited_health),
    path("", include("testproject.urls")),
]
