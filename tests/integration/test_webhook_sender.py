"""The webhook POST against real HTTP servers: timeouts, refused connections, binary answers."""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.webhooks.http_sender import HttpWebhookSender
from application.webhooks.ports import Target
from tests.support.servers import free_port, read_body, serve


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await read_body(receive)
    if scope["path"] == "/slow":
        await asyncio.sleep(3)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"\x00binary"})


async def test_a_slow_receiver_times_out_a_refused_one_fails_and_nul_bytes_are_kept_out() -> None:
    sender = HttpWebhookSender(timeout_seconds=0.5)
    try:
        with serve(_app) as base:
            port = base.rsplit(":", 1)[1]
            ok = await sender.post(Target(f"http://lore.test:{port}/fast", "lore.test", "127.0.0.1"), {}, "{}")
            slow = await sender.post(Target(f"http://lore.test:{port}/slow", "lore.test", "127.0.0.1"), {}, "{}")
        refused = await sender.post(Target(f"http://lore.test:{free_port()}/", "lore.test", "127.0.0.1"), {}, "{}")
    finally:
        await sender.aclose()
    assert (ok.status_code, ok.response_prefix) == (200, "\ufffdbinary")
    assert (slow.status_code, slow.error) == (None, "timed out after 0.5 s")
    assert refused.status_code is None
    assert refused.error is not None
    assert refused.error.startswith("ConnectError")
