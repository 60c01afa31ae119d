"""The client's address: the TCP peer, unless the peer is a trusted proxy that says who it forwards for.

Only a peer inside ``TRUSTED_PROXIES`` may name the client; from anyone else ``X-Forwarded-For`` and
``Forwarded`` are ignored, so a caller cannot pick its own rate-limit bucket or audit address. Behind a
chain of proxies the nearest untrusted hop (read from the right) is the client.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from litestar.types import Scope

Network = IPv4Network | IPv6Network

_FORWARDED_FOR = re.compile(r'for\s*=\s*"?\[?([^\]";,]+)', re.IGNORECASE)


def _parse(value: str) -> IPv4Address | IPv6Address | None:
    candidate = value.strip()
    if candidate.count(":") == 1:  # "192.0.2.1:4711"
        candidate = candidate.split(":", 1)[0]
    try:
        return ip_address(candidate)
    except ValueError:
        return None


def _header_values(scope: Scope, name: bytes) -> list[str]:
    return [bytes(v).decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name]


def _forwarded_chain(scope: Scope) -> list[str]:
    forwarded = _header_values(scope, b"forwarded")
    if forwarded:  # RFC 7239 wins over the de-facto header when a proxy sends both
        return [m.group(1) for value in forwarded for m in _FORWARDED_FOR.finditer(value)]
    return [hop for value in _header_values(scope, b"x-forwarded-for") for hop in value.split(",")]


def _trusted(address: IPv4Address | IPv6Address, networks: Sequence[Network]) -> bool:
    return any(address in network for network in networks)


def client_address(scope: Scope, networks: Sequence[Network]) -> str | None:
    client = scope.get("client")
    peer = client[0] if client else None
    if not networks or peer is None:
        return peer
    address = _parse(peer)
    if address is None or not _trusted(address, networks):
        return peer
    for hop in reversed(_forwarded_chain(scope)):
        hop_address = _parse(hop)
        if hop_address is None:  # "unknown" or an obfuscated name: stop at what we can vouch for
            return str(address)
        address = hop_address
        if not _trusted(address, networks):
            return str(address)
    return str(address)
