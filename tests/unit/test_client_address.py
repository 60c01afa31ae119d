"""Which address is the client's: the peer, unless a trusted proxy forwards for someone else."""

from __future__ import annotations

from ipaddress import ip_network
from typing import Any

import pytest

from entrypoints.http.client_address import client_address

PROXIES = [ip_network("10.0.0.0/8"), ip_network("2001:db8:f::/48")]


def scope(peer: str, *headers: tuple[str, str]) -> Any:
    return {"client": (peer, 1234), "headers": [(k.encode(), v.encode()) for k, v in headers]}


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address(scope("198.51.100.1", ("x-forwarded-for", "203.0.113.5")), []) == "198.51.100.1"


def test_an_untrusted_peer_cannot_name_another_address() -> None:
    spoofed = scope("198.51.100.1", ("x-forwarded-for", "203.0.113.5"), ("forwarded", "for=203.0.113.6"))
    assert client_address(spoofed, PROXIES) == "198.51.100.1"


def test_the_nearest_untrusted_hop_is_the_client() -> None:
    # the client may write anything at the left; only what our own proxies appended counts
    chain = scope("10.0.0.2", ("x-forwarded-for", "1.1.1.1, 203.0.113.5, 10.0.0.9"))
    assert client_address(chain, PROXIES) == "203.0.113.5"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60"),
        ('for="[2001:db8:cafe::17]:4711"', "2001:db8:cafe::17"),
        ("for=192.0.2.43, for=198.51.100.17", "198.51.100.17"),
        ('for="192.0.2.8:8080"', "192.0.2.8"),
    ],
)
def test_forwarded_header(header: str, expected: str) -> None:
    assert client_address(scope("10.1.2.3", ("forwarded", header)), PROXIES) == expected


def test_forwarded_wins_over_x_forwarded_for() -> None:
    both = scope("10.1.2.3", ("x-forwarded-for", "203.0.113.1"), ("forwarded", "for=203.0.113.2"))
    assert client_address(both, PROXIES) == "203.0.113.2"


def test_an_unreadable_hop_stops_at_the_last_address_vouched_for() -> None:
    assert client_address(scope("10.1.2.3", ("forwarded", "for=unknown")), PROXIES) == "10.1.2.3"
    assert client_address(scope("10.1.2.3", ("x-forwarded-for", "10.0.0.5")), PROXIES) == "10.0.0.5"


def test_a_peer_that_is_not_an_address() -> None:
    assert client_address(scope("testclient", ("x-forwarded-for", "203.0.113.5")), PROXIES) == "testclient"
    no_peer: Any = {"headers": []}
    assert client_address(no_peer, PROXIES) is None
