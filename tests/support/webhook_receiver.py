"""A webhook receiver over real HTTP: verifies Standard Webhooks signatures and dedupes on webhook-id."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.support.servers import read_body, serve


@dataclass
class Received:
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    verified_by: list[int]  # indexes of the secrets that verified it


@dataclass
class Receiver:
    """Answers each request with the next of ``statuses`` (the last one repeats).

    ``hold_first``: the first request is taken (and recorded) but not answered until ``release`` is set,
    so a worker can be killed while it waits. ``processed`` holds each webhook-id once, as a receiver
    that dedupes would act on it once.
    """

    secrets: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=lambda: [200])
    headers_out: dict[str, str] = field(default_factory=dict)
    hold_first: bool = False
    requests: list[Received] = field(default_factory=list)
    processed: set[str] = field(default_factory=set)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = await read_body(receive)
        headers = {name.decode(): value.decode() for name, value in scope["headers"]}
        verified = []
        for index, secret in enumerate(self.secrets):
            try:
                Webhook(secret).verify(body, headers)
                verified.append(index)
            except WebhookVerificationError:
                pass
        webhook_id = headers.get("webhook-id", "")
        self.requests.append(Received(webhook_id, headers, body, verified))
        if verified:
            self.processed.add(webhook_id)
        if self.hold_first and len(self.requests) == 1:
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        status = self.statuses[min(len(self.requests) - 1, len(self.statuses) - 1)] if verified else 401
        extra = [(name.encode(), value.encode()) for name, value in self.headers_out.items()]
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain"), *extra]}
        )
        await send({"type": "http.response.body", "body": b"x" * 5000})  # more than Lore keeps


@contextmanager
def receiving(receiver: Receiver, path: str = "/hook") -> Iterator[Receiver]:
    with serve(receiver) as base:
        receiver.url = base + path
        try:
            yield receiver
        finally:
            receiver.release.set()
