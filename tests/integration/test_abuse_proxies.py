"""client_ip() in a deployment behind a trusted proxy: each client its own bucket, and what a
client writes into X-Forwarded-For itself does not move it.

The test plays the proxy at 127.0.0.1 (APISEC_TRUSTED_PROXIES=127.0.0.1/32): it appends the
client's address as the rightmost hop, as nginx's ``$proxy_add_x_forwarded_for`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.integration.abuse_server import AbuseServer, abuse_server

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

LIMIT = 3


@pytest.fixture(scope="module")
def server(shape: str, template_database: str) -> Iterator[AbuseServer]:
    with abuse_server(
        shape=shape,
        template=template_database,
        workers=2,
        APISEC_TRUSTED_PROXIES="127.0.0.1/32",
        APISEC_RATE_ANON=f"{LIMIT}/hour",
        APISEC_RATE_USER="100000/min",
    ) as running:
        yield running


def get(server: AbuseServer, forwarded_for: str) -> int:
    return server.request("GET", "/api/health/", headers={"X-Forwarded-For": forwarded_for}).status


def test_clients_behind_the_proxy_get_their_own_buckets(server: AbuseServer) -> None:
    server.reset()
    first = [get(server, "198.51.100.1") for _ in range(LIMIT + 1)]
    second = [get(server, "198.51.100.2") for _ in range(LIMIT + 1)]
    assert first == second == [200] * LIMIT + [429]


def test_hops_the_client_prepends_are_ignored(server: AbuseServer) -> None:
    server.reset()
    # The client sends its own X-Forwarded-For; the proxy appends the real address.
    statuses = [get(server, f"10.9.9.{n}, 198.51.100.7") for n in range(LIMIT + 3)]
    assert statuses == [200] * LIMIT + [429] * 3


def test_ipv6_clients_share_their_slash_64(server: AbuseServer) -> None:
    server.reset()
    statuses = [get(server, f"2001:db8:1:2::{n:x}") for n in range(1, LIMIT + 3)]
    assert statuses == [200] * LIMIT + [429] * 2
