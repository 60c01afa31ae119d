"""SSRF protection: a webhook URL must resolve to public addresses only, checked at registration and per attempt."""

from __future__ import annotations

from application.webhooks.ports import AddressResolver, Target
from domain.webhooks.addresses import forbidden_reason, parse_target
from domain.webhooks.errors import WebhookUrlRefusedError


class WebhookTargets:
    def __init__(self, resolver: AddressResolver, allowed_hosts: frozenset[str]) -> None:
        self._resolver = resolver
        self._allowed = frozenset(host.lower() for host in allowed_hosts)

    async def check(self, url: str) -> Target:
        """The address to connect to; refuses when any address of the host is not public.

        All of them, not the first: a name with one public and one private address could be answered
        either way by the next lookup.
        """
        parts = parse_target(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = await self._resolver.resolve(host, port)
        if host.lower() not in self._allowed:
            for address in addresses:
                if (reason := forbidden_reason(address)) is not None:
                    kind = reason.replace("_", "-")
                    raise WebhookUrlRefusedError(
                        f"The URL's host resolves to a {kind} address, which webhooks never call.",
                        details={"reason": reason},
                    )
        return Target(url=url, host=host, address=addresses[0])
