"""Which URLs and addresses a webhook may target: public http(s) only (SSRF protection)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from urllib.parse import SplitResult, urlsplit

from domain.webhooks.errors import WebhookUrlRefusedError

_CGNAT = IPv4Network("100.64.0.0/10")
_METADATA = frozenset({IPv4Address("169.254.169.254"), IPv6Address("fd00:ec2::254")})
_NAT64 = IPv6Network("64:ff9b::/96")


def parse_target(url: str) -> SplitResult:
    """The URL's parts, or a refusal for anything but plain http(s) to a host (no credentials)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise WebhookUrlRefusedError("The URL cannot be parsed.", details={"reason": "malformed"}) from None
    if parts.scheme not in ("http", "https"):
        raise WebhookUrlRefusedError("Only http and https URLs are allowed.", details={"reason": "scheme"})
    if not parts.hostname:
        raise WebhookUrlRefusedError("The URL has no host.", details={"reason": "malformed"})
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlRefusedError("Credentials in the URL are not allowed.", details={"reason": "credentials"})
    return parts


def forbidden_reason(address: str) -> str | None:
    """Why an address must not be called, or None for a public unicast one."""
    ip: IPv4Address | IPv6Address = ip_address(address)
    if isinstance(ip, IPv6Address):
        if ip in _METADATA:
            return "metadata"
        if ip.teredo is not None:
            # 2001::/32 reaches a client behind NAT through a relay: no address of ours to judge
            return "tunnel"
        # IPv4 carried in IPv6 (mapped, NAT64, 6to4 2002::/16) is judged as that IPv4: a 6to4 of 127.0.0.1
        # or 10.0.0.1 would otherwise pass as a global IPv6 address
        mapped = ip.ipv4_mapped or ip.sixtofour or (IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if mapped is not None:
            ip = mapped
    if ip in _METADATA:
        return "metadata"
    checks = (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link_local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("cgnat", isinstance(ip, IPv4Address) and ip in _CGNAT),
        ("private", ip.is_private or ip.is_reserved or not ip.is_global),
    )
    return next((name for name, hit in checks if hit), None)
