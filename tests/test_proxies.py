"""The parsed trusted proxy networks: parsing, skipping bad entries, caching, cache clearing."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

import pytest
from django.core.signals import setting_changed
from django.test import override_settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy

from django_apisec.request import proxies
from django_apisec.request.proxies import parse_network, trusted_proxy_networks

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    trusted_proxy_networks.cache_clear()
    yield
    trusted_proxy_networks.cache_clear()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([], ()),
        ("", ()),
        (["10.0.0.0/8"], (ipaddress.ip_network("10.0.0.0/8"),)),
        (
            "10.0.0.0/24, 192.0.2.10",
            (ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("192.0.2.10/32")),
        ),
        (
            ("fd12:3456:789a::/48", " 2001:db8::1 "),
            (ipaddress.ip_network("fd12:3456:789a::/48"), ipaddress.ip_network("2001:db8::1/128")),
        ),
        ([ipaddress.ip_network("10.1.0.0/16")], (ipaddress.ip_network("10.1.0.0/16"),)),
    ],
)
def test_networks_are_parsed(value: object, expected: tuple[object, ...]) -> None:
    with override_settings(APISEC_TRUSTED_PROXIES=value):
        assert trusted_proxy_networks() == expected


@override_settings(APISEC_TRUSTED_PROXIES=["proxy.internal", "10.0.0.1/8", "", "10.0.0.0/24"])
def test_invalid_entries_are_skipped_not_trusted() -> None:
    # apisec.E410 reports the skipped ones; trusting fewer proxies is the safe side.
    assert trusted_proxy_networks() == (ipaddress.ip_network("10.0.0.0/24"),)


@pytest.mark.parametrize(
    "value",
    [None, 24, lambda: ["10.0.0.0/8"], object(), gettext_lazy("10.0.0.0/8")],
)
def test_unreadable_setting_trusts_nothing(value: object) -> None:
    with override_settings(APISEC_TRUSTED_PROXIES=value):
        assert trusted_proxy_networks() == ()


@override_settings(APISEC_TRUSTED_PROXIES=SimpleLazyObject(lambda: ["10.0.0.0/8"]))
def test_lazy_list_is_read() -> None:
    assert trusted_proxy_networks() == (ipaddress.ip_network("10.0.0.0/8"),)


def test_host_bits_are_rejected() -> None:
    with pytest.raises(ValueError, match="host bits set"):
        parse_network("10.0.0.1/8")


@override_settings(APISEC_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_parsed_once() -> None:
    first = trusted_proxy_networks()
    assert trusted_proxy_networks() is first
    assert trusted_proxy_networks.cache_info().hits == 1


def test_cleared_when_the_setting_changes() -> None:
    with override_settings(APISEC_TRUSTED_PROXIES=["10.0.0.0/8"]):
        assert trusted_proxy_networks() == (ipaddress.ip_network("10.0.0.0/8"),)
        with override_settings(APISEC_TRUSTED_PROXIES=["192.0.2.0/24"]):
            assert trusted_proxy_networks() == (ipaddress.ip_network("192.0.2.0/24"),)
        assert trusted_proxy_networks() == (ipaddress.ip_network("10.0.0.0/8"),)


@override_settings(APISEC_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_other_settings_keep_the_cache() -> None:
    trusted_proxy_networks()
    setting_changed.send(sender=None, setting="APISEC_CACHE", value="other", enter=True)
    assert trusted_proxy_networks.cache_info().currsize == 1
    setting_changed.send(sender=None, setting=proxies.SETTING, value=[], enter=True)
    assert trusted_proxy_networks.cache_info().currsize == 0
