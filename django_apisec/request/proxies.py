"""The reverse proxies whose ``X-Forwarded-*`` headers are believed.

``APISEC_TRUSTED_PROXIES`` lists them as CIDRs (``"10.0.0.0/8"``) or single addresses
(``"192.0.2.10"``). Parsing happens once: :func:`trusted_proxy_networks` is cached and the cache is
cleared whenever the setting changes (``override_settings`` in tests sends ``setting_changed``).

An entry that is not an IP network is skipped here rather than raising on a request: trusting
fewer proxies is the safe side (the proxy's own address is then seen as the client's). The
``apisec.E410`` check reports such entries on every ``manage.py check``.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any, TypeAlias

from django.core.signals import setting_changed
from django.dispatch import receiver

from django_apisec.conf import apisec_settings

IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

SETTING = "APISEC_TRUSTED_PROXIES"


def trusted_proxy_entries() -> list[str]:
    """The configured entries as strings; ``[]`` when the setting is not a list or string.

    A wrong type means nothing is trusted, and apisec.E410 says why.
    """
    return apisec_settings.TRUSTED_PROXIES


def parse_network(entry: str) -> IPNetwork:
    """Parse one entry (a CIDR or a single address); raise ``ValueError`` when it is neither.

    Host bits must be zero (``10.0.0.1/8`` is rejected): an entry that could mean a host or a
    network is reported instead of guessed.
    """
    return ipaddress.ip_network(entry.strip())


@functools.cache
def trusted_proxy_networks() -> tuple[IPNetwork, ...]:
    """The valid networks of ``APISEC_TRUSTED_PROXIES``, parsed once; invalid entries skipped."""
    networks = (_parse_or_none(entry) for entry in trusted_proxy_entries())
    return tuple(network for network in networks if network is not None)


def _parse_or_none(entry: str) -> IPNetwork | None:
    try:
        return parse_network(entry)
    except ValueError:
        return None


@receiver(setting_changed)
def clear_trusted_proxy_networks(*, setting: str, **kwargs: Any) -> None:
    """Forget the parsed networks when ``APISEC_TRUSTED_PROXIES`` changes."""
    if setting == SETTING:
        trusted_proxy_networks.cache_clear()
