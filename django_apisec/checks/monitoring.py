"""Monitoring deploy checks (``apisec.E440``-``W449``): the metrics endpoint is never public."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from django_apisec.checks.registry import deploy_check, emit, error, warning
from django_apisec.conf import METRICS_ALLOWED_NETWORKS

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E440 = error(
    "apisec.E440",
    "APISEC_METRICS_ALLOWED_NETWORKS contains {network}, every address: the metrics endpoint "
    "is reachable by anyone without logging in.",
    "List only the networks of your Prometheus servers, e.g. ['10.0.0.0/8'], or leave the "
    "setting empty and scrape as a staff user.",
)
W441 = warning(
    "apisec.W441",
    "APISEC_METRICS_ALLOWED_NETWORKS contains {network}, a public network: anyone there reads "
    "the security metrics without logging in.",
    "Allow only private networks (your Prometheus servers' addresses), or scrape through a "
    "private network or as a staff user.",
)


@deploy_check
def check_metrics_networks(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E440 / W441: who may read the metrics without authentication."""
    if not METRICS_ALLOWED_NETWORKS.accepts(METRICS_ALLOWED_NETWORKS.raw()):
        return []  # apisec.E646 reports it; the endpoint then allows no network
    messages = []
    for entry in METRICS_ALLOWED_NETWORKS.value():
        network = ipaddress.ip_network(entry, strict=False)
        if network.prefixlen == 0:
            messages.append(emit(E440, network=str(network)))
        elif not network.is_private:
            messages.append(emit(W441, network=str(network)))
    return messages
