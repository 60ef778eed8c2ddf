"""The client's address: the one place django_apisec derives it.

``REMOTE_ADDR`` is the peer of the TCP connection and cannot be forged. It is the client unless it
is one of ``APISEC_TRUSTED_PROXIES``; then ``X-Forwarded-For`` is read from right to left, each
hop appended by the proxy before it, skipping trusted proxies: the first untrusted hop is the
client. Everything left of it was written by the client and is never believed.

A hop that is not an IP address (a typo'd proxy, ``unknown``, an attack) ends the walk: the nearest
address that is vouched for wins (the proxy that received the garbage), so nothing here raises.

Rate buckets group IPv6 clients by /64: one subscriber usually holds a whole /64 and can rotate
through its 2**64 addresses for free.

**An ASGI server that rewrote the address.** ASGI servers replace the TCP peer with an
``X-Forwarded-For`` hop before Django sees it when they trust the peer (uvicorn's proxy headers: on
by default for a loopback peer, ``--forwarded-allow-ips``; hypercorn's proxy fix). The request's
``REMOTE_ADDR`` is then one of the hops, and the hops to its right are the proxies the *server*
trusted (gunicorn's WSGI workers never rewrite ``REMOTE_ADDR``: it is the TCP peer). When Django
trusts no proxy at all, or does not trust one of those hops, the server believed a header Django
would not have: the address may be forged and is not believed. The request counts as ``"unknown"``
(one shared bucket: it fails closed) and a ``client_address_rewritten`` line is logged on
``django_apisec.security``, at most once per :data:`REWRITE_LOG_INTERVAL` per process. Make the
server's forwarded-allow-ips and ``APISEC_TRUSTED_PROXIES`` describe the same proxies, or turn the
server's proxy headers off (docs/deployment.rst).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from typing import TYPE_CHECKING, Any, TypeAlias

from django_apisec.request.proxies import trusted_proxy_networks
from django_apisec.request.state import django_request

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django_apisec.request.proxies import IPNetwork

__all__ = ["client_address", "client_ip", "parse_ip", "rate_bucket_ip", "ratelimit_key"]

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"
#: Returned when not even ``REMOTE_ADDR`` is an address (a unix-socket server, a test client
#: without one): such clients share one bucket, which fails closed.
UNKNOWN = "unknown"
IPV6_BUCKET_PREFIX = 64
#: Seconds between two ``client_address_rewritten`` log lines, per process.
REWRITE_LOG_INTERVAL = 10.0
REWRITTEN_EVENT = "client_address_rewritten"

logger = logging.getLogger("django_apisec.security")
_rewrite_logged_at: dict[str, float] = {}


def parse_ip(value: str) -> IPAddress | None:
    """``value`` as an address, IPv4-mapped IPv6 as IPv4; ``None`` when it is none.

    Accepts what proxies write: ``1.2.3.4``, ``2001:db8::1``, ``[2001:db8::1]``, with a port
    (``1.2.3.4:8080``, ``[2001:db8::1]:8080``). A zone (``fe80::1%eth0``) is dropped.
    """
    text = value.strip()
    if text.startswith("["):
        text, bracket, _ = text[1:].partition("]")
        if not bracket:
            return None
    elif text.count(":") == 1:
        text = text.partition(":")[0]  # IPv4 with a port
    text = text.partition("%")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    """Whether ``address`` lies in one of the trusted proxy ``networks``."""
    return any(address.version == network.version and address in network for network in networks)


def forwarded_hops(meta: Any) -> list[str]:
    """The ``X-Forwarded-For`` hops, left (client side) to right (nearest proxy)."""
    header = meta.get(FORWARDED_FOR, "")
    if not isinstance(header, str):
        return []
    return [hop for hop in (part.strip() for part in header.split(",")) if hop]


def rewritten_by_server(address: IPAddress, hops: list[str], networks: Iterable[IPNetwork]) -> bool:
    """Whether the server put a hop the project does not vouch for into ``REMOTE_ADDR``.

    ``address`` (the peer the server reported) is one of the ``hops`` when the server rewrote it;
    the hops to its right are then the proxies the server trusted. Harmless only when Django
    trusts proxies and each of those hops is one of them (the server walked as Django would).
    """
    networks = list(networks)
    for index in range(len(hops) - 1, -1, -1):
        if parse_ip(hops[index]) == address:
            skipped = [parse_ip(hop) for hop in hops[index + 1 :]]
            return not networks or not all(
                hop is not None and is_trusted(hop, networks) for hop in skipped
            )
    return False


def _report_rewrite(address: IPAddress) -> None:
    now = time.monotonic()
    last = _rewrite_logged_at.get(REWRITTEN_EVENT)
    if last is not None and now - last < REWRITE_LOG_INTERVAL:
        return
    _rewrite_logged_at[REWRITTEN_EVENT] = now
    logger.error(
        "The server replaced the client address with an X-Forwarded-For hop (%s) from a proxy "
        "APISEC_TRUSTED_PROXIES does not trust: the address is not believed and the request "
        "counts as 'unknown'. Make the server's forwarded-allow-ips and APISEC_TRUSTED_PROXIES "
        "describe the same proxies, or turn the server's proxy headers off.",
        address,
        extra={"event": REWRITTEN_EVENT, "remote_addr": str(address)},
    )


def client_address(request: Any) -> IPAddress | None:
    """The client's address as an ``ipaddress`` object; ``None`` when unknown (or not to be
    believed: the server rewrote it from a header, see the module's documentation)."""
    meta = django_request(request).META
    remote = meta.get("REMOTE_ADDR")
    address = parse_ip(remote) if isinstance(remote, str) else None
    if address is None:
        return None
    networks = trusted_proxy_networks()
    hops = forwarded_hops(meta)
    asgi = getattr(django_request(request), "scope", None) is not None
    if asgi and hops and rewritten_by_server(address, hops, networks):
        _report_rewrite(address)
        return None
    if not networks:
        return address
    for hop in reversed(hops):
        if not is_trusted(address, networks):
            return address
        forwarded = parse_ip(hop)
        if forwarded is None:
            # Garbage from (or through) a trusted proxy: the proxy itself is the nearest
            # address anyone vouches for.
            return address
        address = forwarded
    return address


def client_ip(request: Any) -> str:
    """The client's IP address as a string (``"unknown"`` when there is none).

    ``request`` is a Django ``HttpRequest`` or a DRF ``Request``.
    """
    address = client_address(request)
    return UNKNOWN if address is None else str(address)


def rate_bucket_ip(request: Any) -> str:
    """The client's rate-limit bucket: the IPv4 address, or the IPv6 /64 it belongs to."""
    address = client_address(request)
    if address is None:
        return UNKNOWN
    if isinstance(address, ipaddress.IPv6Address):
        network = ipaddress.IPv6Network((address, IPV6_BUCKET_PREFIX), strict=False)
        return str(network)
    return str(address)


def ratelimit_key(group: str, request: Any) -> str:  # noqa: ARG001 (django-ratelimit's signature)
    """A django-ratelimit ``key``: ``key="django_apisec.request.addresses.ratelimit_key"``.

    The same bucket as django_apisec's throttles (:func:`rate_bucket_ip`), so non-API views (the
    admin login, plain Django views) see the same client as the API.
    """
    return rate_bucket_ip(request)
