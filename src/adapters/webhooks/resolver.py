"""Host names to addresses through the system resolver, with a deadline."""

from __future__ import annotations

import asyncio
import socket

from domain.webhooks.errors import WebhookUrlRefusedError


class SystemResolver:
    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds

    async def resolve(self, host: str, port: int) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._timeout):
                found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, TimeoutError, ValueError):  # UnicodeError (IDNA) is a ValueError
            raise WebhookUrlRefusedError(
                "The URL's host does not resolve.", details={"reason": "unresolvable", "host": host[:255]}
            ) from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
        if not addresses:
            raise WebhookUrlRefusedError("The URL's host does not resolve.", details={"reason": "unresolvable"})
        return addresses
