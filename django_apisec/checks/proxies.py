"""Proxy trust checks (``apisec.E407``-``W412``).

Client addresses and the request scheme are only true when forwarded headers are believed from
declared proxies alone (``APISEC_TRUSTED_PROXIES``). These checks read the configuration only.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from django.conf import settings

from django_apisec import conf
from django_apisec.checks.abuse import ratelimit_enabled
from django_apisec.checks.registry import config_check, deploy_check, emit, error, warning
from django_apisec.request.proxies import SETTING as TRUSTED_PROXIES
from django_apisec.request.proxies import (
    parse_network,
    trusted_proxy_entries,
    trusted_proxy_networks,
)

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

    from django_apisec.request.proxies import IPNetwork

E407 = error(
    "apisec.E407",
    "RATELIMIT_IP_META_KEY reads the client address from {key}, a request header, and no trusted "
    "proxy is declared: a client sends a new address with each request and is never limited.",
    "Remove RATELIMIT_IP_META_KEY to use REMOTE_ADDR, or declare the proxy that sets {key} in "
    "APISEC_TRUSTED_PROXIES (and make it overwrite, not append to, the header).",
)
E408 = error(
    "apisec.E408",
    "SECURE_PROXY_SSL_HEADER is set but APISEC_TRUSTED_PROXIES is empty: any client can send "
    "{header} and be treated as https (secure cookies, CSRF and redirects trust it).",
    "Declare the TLS-terminating proxy in APISEC_TRUSTED_PROXIES (e.g. ['10.0.0.0/24']) and make "
    "it overwrite the header, or remove SECURE_PROXY_SSL_HEADER when no proxy is in front.",
)
E409 = error(
    "apisec.E409",
    "{setting} is on but APISEC_TRUSTED_PROXIES is empty: any client can choose the host or port "
    "Django sees, poisoning absolute URLs such as password reset links and redirects.",
    "Set {setting} = False, or declare the proxy that sets the header in APISEC_TRUSTED_PROXIES.",
)
E410 = error(
    "apisec.E410",
    "APISEC_TRUSTED_PROXIES {problem}: it is ignored, so requests through that proxy are seen "
    "as coming from the proxy itself (every client shares its limits).",
    "List networks with zero host bits or single addresses, e.g. "
    "APISEC_TRUSTED_PROXIES = ['10.0.0.0/24', '192.0.2.10'] (or '10.0.0.0/24,192.0.2.10').",
)
E411 = error(
    "apisec.E411",
    "APISEC_TRUSTED_PROXIES trusts {network}, which spans far more than a proxy fleet: any "
    "client in it can forge X-Forwarded-For and X-Forwarded-Proto.",
    "List only the addresses of your own proxies or load balancers (at most a /8 for IPv4, a "
    "/16 for IPv6), e.g. ['10.0.0.0/24'].",
)
W412 = warning(
    "apisec.W412",
    "Trusted proxies are declared and SECURE_SSL_REDIRECT is on, but SECURE_PROXY_SSL_HEADER is "
    "not set: behind a TLS-terminating proxy every request looks like http and is redirected "
    "forever.",
    "Set SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https') and make the proxy set "
    "that header (harden() does this when APISEC_TRUSTED_PROXIES is set).",
)

# Widest networks a proxy fleet plausibly needs: 10.0.0.0/8 is the largest private IPv4 block;
# a /16 is wider than any single organisation's IPv6 allocation (ISPs get /19 to /32).
MIN_IPV4_PREFIX = 8
MIN_IPV6_PREFIX = 16
IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
FORWARDED_SETTINGS = ("USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT")


def trusted_proxies_declared() -> bool:
    """Whether the operator declared any proxy; whether it parses is apisec.E410's business."""
    value = getattr(settings, TRUSTED_PROXIES, None)
    if isinstance(value, str):
        return bool(trusted_proxy_entries())
    return bool(value)


def network_problem(entry: str) -> str | None:
    """What is wrong with one ``APISEC_TRUSTED_PROXIES`` entry, or ``None`` when it parses."""
    try:
        parse_network(entry)
    except ValueError as exc:
        return f"entry {entry!r} is not an IP network ({exc})"
    return None


def is_too_wide(network: IPNetwork) -> bool:
    """Whether ``network`` is wider than any proxy fleet (IPv4-mapped IPv6 judged as IPv4)."""
    if isinstance(network, ipaddress.IPv4Network):
        return network.prefixlen < MIN_IPV4_PREFIX
    if network.subnet_of(IPV4_MAPPED):
        return network.prefixlen - IPV4_MAPPED.prefixlen < MIN_IPV4_PREFIX
    return network.prefixlen < MIN_IPV6_PREFIX


@deploy_check
def check_ratelimit_ip_key(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E407: django-ratelimit reads a forwarded header only behind a trusted proxy."""
    key = getattr(settings, "RATELIMIT_IP_META_KEY", None)
    # A dotted path or a callable is the project's own function: it cannot be judged here.
    if not isinstance(key, str) or "." in key or not key.startswith("HTTP_"):
        return []
    if not ratelimit_enabled() or trusted_proxies_declared():
        return []
    return [emit(E407, key=key)]


@deploy_check
def check_proxy_ssl_header(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E408: SECURE_PROXY_SSL_HEADER only with trusted proxies."""
    header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not header or trusted_proxies_declared():
        return []
    name = header[0] if isinstance(header, (list, tuple)) else header
    return [emit(E408, header=name)]


@deploy_check
def check_forwarded_host_port(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E409: USE_X_FORWARDED_HOST / USE_X_FORWARDED_PORT only with trusted proxies."""
    if trusted_proxies_declared():
        return []
    enabled = [name for name in FORWARDED_SETTINGS if getattr(settings, name, False)]
    return [emit(E409, setting=name) for name in enabled]


@config_check
def check_trusted_proxies_valid(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E410: every APISEC_TRUSTED_PROXIES entry is an IP network or address."""
    value = conf.TRUSTED_PROXIES.raw()
    if not conf.TRUSTED_PROXIES.accepts(value):
        kind = type(value).__name__
        problem = f"must be a list of networks or a comma-separated string, not {kind}"
        return [emit(E410, problem=problem)]
    problems = [network_problem(entry) for entry in trusted_proxy_entries()]
    return [emit(E410, problem=problem) for problem in problems if problem]


@deploy_check
def check_trusted_proxies_width(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E411: no trusted proxy network wide enough to trust (nearly) everyone."""
    return [emit(E411, network=net) for net in trusted_proxy_networks() if is_too_wide(net)]


@deploy_check
def check_ssl_redirect_behind_proxy(**kwargs: Any) -> list[CheckMessage]:
    """apisec.W412: behind trusted proxies, SECURE_SSL_REDIRECT needs SECURE_PROXY_SSL_HEADER."""
    if (
        trusted_proxies_declared()
        and getattr(settings, "SECURE_SSL_REDIRECT", False)
        and not getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    ):
        return [W412]
    return []
