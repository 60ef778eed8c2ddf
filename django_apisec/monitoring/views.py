"""The metrics endpoint: never public (a staff user, or a client in an allowlisted network)."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from django_apisec.conf import apisec_settings
from django_apisec.monitoring.metrics import CONTENT_TYPE_LATEST, exposition
from django_apisec.request.addresses import client_address

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = ["may_read_metrics", "metrics_view"]


def may_read_metrics(request: HttpRequest) -> bool:
    """Whether the client is a logged-in staff user or in ``APISEC_METRICS_ALLOWED_NETWORKS``.

    The address is :func:`~django_apisec.request.addresses.client_address`: a forwarded address
    counts only through a trusted proxy, so a forged ``X-Forwarded-For`` is no way in.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_active and user.is_staff:
        return True
    address = client_address(request)
    if address is None:
        return False
    networks = (ipaddress.ip_network(net, strict=False) for net in _allowed_networks())
    return any(address.version == net.version and address in net for net in networks)


def _allowed_networks() -> list[str]:
    return apisec_settings.METRICS_ALLOWED_NETWORKS


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The Prometheus exposition, or 403 for anyone else (the same answer for every refusal)."""
    if not may_read_metrics(request):
        return JsonResponse(
            {
                "detail": "You do not have permission to perform this action.",
                "code": "permission_denied",
            },
            status=403,
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
