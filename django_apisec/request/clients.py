"""A coarse, privacy-preserving description of a client, for a user's list of sessions.

Enough for a user to recognise a session ("Firefox on Linux, 203.0.113.0/24") and spot one that
is not theirs; never the raw user agent (a fingerprint) nor the full address: IPv4 is cut to its
/24 and IPv6 to its /48.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django_apisec.request.addresses import client_address

#: Browser and tool families, tested in order (Edge and Opera also say "Chrome", Chrome "Safari").
BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-requests/", "python-requests"),
    ("okhttp/", "okhttp"),
)
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)
IPV4_PREFIX = 24
IPV6_PREFIX = 48


def user_agent_family(user_agent: str) -> str:
    """``"Firefox on Linux"``, ``"curl"``, or ``"unknown client"``."""
    browser = next((name for marker, name in BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "unknown client"


def client_network(request: Any) -> str | None:
    """The client's network (``203.0.113.0/24``, ``2001:db8:1::/48``), or ``None``."""
    address = client_address(request)
    if address is None:
        return None
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def describe_client(request: Any) -> str:
    """``"Firefox on Linux, 203.0.113.0/24"``: user-agent family and network, at most 100 chars."""
    meta = getattr(request, "META", {})
    family = user_agent_family(str(meta.get("HTTP_USER_AGENT", ""))[:512])
    network = client_network(request)
    return (f"{family}, {network}" if network else family)[:100]
