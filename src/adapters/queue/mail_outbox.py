"""Hands emails to the worker through the SAQ queue; delivery retries there."""

from __future__ import annotations

from saq.queue.base import Queue

from adapters.outages import queue_outage_unavailable
from adapters.trace_context import trace_meta
from application.identity.ports import EmailMessage

SEND_EMAIL_TASK = "send_email"


class QueueMailOutbox:
    def __init__(self, queue: Queue, retries: int = 5) -> None:
        self._queue = queue
        self._retries = retries

    async def send_later(self, message: EmailMessage) -> None:
        with queue_outage_unavailable():
            await self._queue.enqueue(
                SEND_EMAIL_TASK,
                to=message.to,
                subject=message.subject,
                text=message.text,
                retries=self._retries,
                retry_delay=5.0,
                retry_backoff=True,
                timeout=60,
                meta=trace_meta(),  # delivery joins the trace of the request that sent the mail
            )
