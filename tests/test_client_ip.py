"""client_ip(): REMOTE_ADDR unless a trusted proxy, X-Forwarded-For right to left, never a crash."""

from __future__ import annotations

import io
import ipaddress
import logging

import pytest
from django.core.handlers.asgi import ASGIRequest
from django.test import RequestFactory, override_settings
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.request import Request

from django_apisec.request import addresses
from django_apisec.request.addresses import (
    UNKNOWN,
    client_ip,
    parse_ip,
    rate_bucket_ip,
    ratelimit_key,
)

PROXIES = ["10.0.0.0/24", "2001:db8:ffff::/48"]


def request(remote: object = "203.0.113.7", xff: object = None) -> object:
    factory = RequestFactory()
    extra: dict[str, object] = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return factory.get("/", **extra)


ipv4 = st.ip_addresses(v=4)
ipv6 = st.ip_addresses(v=6)
public_v4 = ipv4.filter(lambda a: a not in ipaddress.ip_network("10.0.0.0/24"))
proxy_v4 = st.integers(0, 255).map(lambda n: ipaddress.ip_address(f"10.0.0.{n}"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.2.3.4", "1.2.3.4"),
        (" 1.2.3.4 ", "1.2.3.4"),
        ("1.2.3.4:8080", "1.2.3.4"),
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("[::ffff:192.0.2.1]:80", "192.0.2.1"),
        ("unknown", None),
        ("", None),
        ("1.2.3.4.5", None),
        ("999.1.1.1", None),
        ("[2001:db8::1", None),
    ],
)
def test_parse_ip(value: str, expected: str | None) -> None:
    parsed = parse_ip(value)
    assert (None if parsed is None else str(parsed)) == expected


def test_remote_addr_without_trusted_proxies_ignores_forwarded_for() -> None:
    assert client_ip(request("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


@pytest.mark.parametrize("remote", [None, "", "not-an-ip", 42, b"1.2.3.4"])
def test_unusable_remote_addr_is_unknown(remote: object) -> None:
    assert client_ip(request(remote)) == UNKNOWN
    assert rate_bucket_ip(request(remote)) == UNKNOWN


def test_ipv4_mapped_remote_addr_is_normalised() -> None:
    assert client_ip(request("::ffff:203.0.113.7")) == "203.0.113.7"


@override_settings(APISEC_TRUSTED_PROXIES=PROXIES)
@pytest.mark.parametrize(
    ("remote", "xff", "expected"),
    [
        # Not from a proxy: the header is the client's own words.
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),
        # From a proxy: the hop it appended.
        ("10.0.0.5", "198.51.100.1", "198.51.100.1"),
        # The client prepended a forged hop: only the proxy's hop counts.
        ("10.0.0.5", "1.1.1.1, 198.51.100.1", "198.51.100.1"),
        # Two proxies: skip the inner one.
        ("10.0.0.5", "1.1.1.1, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        # Header split over several lines joins with commas.
        ("10.0.0.5", "198.51.100.1 ,, ", "198.51.100.1"),
        # Garbage appended through the proxy: the proxy is the nearest vouched address.
        ("10.0.0.5", "198.51.100.1, unknown", "10.0.0.5"),
        ("10.0.0.5", "198.51.100.1, garbage, 10.0.0.9", "10.0.0.9"),
        # A proxy with no header: the proxy itself (every client shares it; apisec.E410 and
        # the docs say why).
        ("10.0.0.5", None, "10.0.0.5"),
        ("10.0.0.5", "", "10.0.0.5"),
        # Everything trusted: the leftmost hop.
        ("10.0.0.5", "10.0.0.7", "10.0.0.7"),
        # IPv6 proxies, IPv4-mapped hops, ports.
        ("2001:db8:ffff::1", "[2001:db8::5]:1234", "2001:db8::5"),
        ("::ffff:10.0.0.5", "::ffff:198.51.100.1", "198.51.100.1"),
        ("10.0.0.5", "198.51.100.1:5555", "198.51.100.1"),
    ],
)
def test_trusted_proxy_chain(remote: str, xff: str | None, expected: str) -> None:
    assert client_ip(request(remote, xff)) == expected


@override_settings(APISEC_TRUSTED_PROXIES=PROXIES)
def test_non_string_forwarded_for_is_ignored() -> None:
    assert client_ip(request("10.0.0.5", ["198.51.100.1"])) == "10.0.0.5"


def test_drf_request_is_accepted() -> None:
    assert client_ip(Request(request("203.0.113.9"))) == "203.0.113.9"


def test_rate_bucket_groups_ipv6_by_64() -> None:
    assert rate_bucket_ip(request("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::/64"
    assert rate_bucket_ip(request("2001:db8:1:2:ffff::9")) == "2001:db8:1:2::/64"
    assert rate_bucket_ip(request("2001:db8:1:3::1")) == "2001:db8:1:3::/64"
    assert rate_bucket_ip(request("203.0.113.7")) == "203.0.113.7"


def test_ratelimit_key_is_the_rate_bucket() -> None:
    assert ratelimit_key("group", request("2001:db8:1:2::1")) == "2001:db8:1:2::/64"


@given(remote=st.one_of(ipv4, ipv6), xff=st.text())
def test_without_trusted_proxies_the_header_never_matters(remote: object, xff: str) -> None:
    assert client_ip(request(str(remote), xff)) == str(parse_ip(str(remote)))


@settings(max_examples=200)
@given(
    client=public_v4,
    forged=st.lists(st.one_of(st.text(max_size=20), ipv4.map(str)), max_size=5),
    proxies=st.lists(proxy_v4, min_size=1, max_size=4),
)
def test_the_first_untrusted_hop_from_the_right_is_the_client(
    client: ipaddress.IPv4Address, forged: list[str], proxies: list[ipaddress.IPv4Address]
) -> None:
    forged = [hop.replace(",", "") for hop in forged]
    # The client writes anything; each proxy appends the address it received the request from.
    chain = [*forged, str(client), *(str(p) for p in proxies[:-1])]
    with override_settings(APISEC_TRUSTED_PROXIES=PROXIES):
        assert client_ip(request(str(proxies[-1]), ", ".join(chain))) == str(client)


@given(remote=st.text(max_size=40), xff=st.text(max_size=80))
def test_never_raises(remote: str, xff: str) -> None:
    with override_settings(APISEC_TRUSTED_PROXIES=[*PROXIES, "0.0.0.0/0", "::/0"]):
        result = client_ip(request(remote, xff))
    assert result == UNKNOWN or parse_ip(result) is not None


@given(address=ipv6)
def test_one_ipv6_slash_64_is_one_bucket(address: ipaddress.IPv6Address) -> None:
    network = ipaddress.IPv6Network((address, 64), strict=False)
    neighbour = network[-1]
    if address.ipv4_mapped is None and neighbour.ipv4_mapped is None:
        assert rate_bucket_ip(request(str(address))) == rate_bucket_ip(request(str(neighbour)))


# --- an ASGI server that rewrote REMOTE_ADDR from X-Forwarded-For ------------------------------


def asgi_request(client: str, xff: str) -> object:
    """A request as uvicorn's proxy headers hand it to Django: the peer replaced by a hop."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"x-forwarded-for", xff.encode("latin1"))],
        "client": (client, 0),
        "server": ("testserver", 80),
    }
    return ASGIRequest(scope, io.BytesIO())


def test_a_rewrite_django_trusts_no_proxy_for_is_not_believed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The attack: a client at a loopback peer the server trusts forges its address.
    with caplog.at_level(logging.ERROR, logger="django_apisec.security"):
        addresses.REWRITE_LOG_INTERVAL, interval = 0.0, addresses.REWRITE_LOG_INTERVAL
        try:
            forged = [client_ip(asgi_request(f"198.51.100.{n}", f"198.51.100.{n}")) for n in (1, 2)]
        finally:
            addresses.REWRITE_LOG_INTERVAL = interval
    assert forged == [UNKNOWN, UNKNOWN]
    assert [r.event for r in caplog.records] == ["client_address_rewritten"] * 2  # type: ignore[attr-defined]


def test_a_rewrite_past_a_hop_django_does_not_trust_is_not_believed() -> None:
    # A server trusting '*' takes the leftmost hop, which the client wrote itself.
    with override_settings(APISEC_TRUSTED_PROXIES=PROXIES):
        assert client_ip(asgi_request("1.2.3.4", "1.2.3.4, 203.0.113.9")) == UNKNOWN
        assert client_ip(asgi_request("1.2.3.4", "1.2.3.4, garbage")) == UNKNOWN


def test_a_rewrite_that_walked_as_django_does_is_the_client() -> None:
    # The server trusted the same proxies: the client it picked is the one Django picks.
    with override_settings(APISEC_TRUSTED_PROXIES=PROXIES):
        assert client_ip(asgi_request("203.0.113.9", "10.9.9.9, 203.0.113.9")) == "203.0.113.9"
        assert client_ip(asgi_request("203.0.113.9", "203.0.113.9, 10.0.0.2")) == "203.0.113.9"


def test_an_asgi_peer_that_is_no_hop_is_the_client() -> None:
    assert client_ip(asgi_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_rewrites_are_logged_once_per_interval(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(addresses, "_rewrite_logged_at", {})
    with caplog.at_level(logging.ERROR, logger="django_apisec.security"):
        for n in range(3):
            assert client_ip(asgi_request(f"198.51.100.{n}", f"198.51.100.{n}")) == UNKNOWN
    assert len(caplog.records) == 1
