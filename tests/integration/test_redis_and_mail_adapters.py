"""Attempt limiter on real Redis; dev mailbox and SMTP delivery against a local SMTP server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from redis.asyncio import Redis

from adapters.mail.mailbox import MailboxMailer
from adapters.mail.smtp import SmtpMailer
from adapters.redis.attempt_limiter import RedisAttemptLimiter
from application.identity.ports import EmailMessage
from entrypoints.bootstrap.settings import Settings
from tests.support.observe import read_mailbox

MESSAGE = EmailMessage(to="ann@example.org", subject="Hello", text="Line one\nLine two\n")


async def test_limiter_counts_within_a_window(settings: Settings, redis_client: Redis) -> None:
    limiter = RedisAttemptLimiter(redis_client)
    assert await limiter.retry_after("k", limit=2, window_seconds=60) is None
    await limiter.record_failure("k", 60)
    assert await limiter.retry_after("k", limit=2, window_seconds=60) is None
    await limiter.record_failure("k", 60)
    wait = await limiter.retry_after("k", limit=2, window_seconds=60)
    assert wait is not None
    assert 0 < wait <= 60
    await limiter.clear("k")
    assert await limiter.retry_after("k", limit=2, window_seconds=60) is None


async def test_limiter_window_expires(settings: Settings, redis_client: Redis) -> None:
    limiter = RedisAttemptLimiter(redis_client)
    await limiter.record_failure("short", 1)
    assert await limiter.retry_after("short", limit=1, window_seconds=1) is not None
    await asyncio.sleep(1.2)
    assert await limiter.retry_after("short", limit=1, window_seconds=1) is None


async def test_limiter_is_atomic_under_concurrency(settings: Settings, redis_client: Redis) -> None:
    limiter = RedisAttemptLimiter(redis_client)
    await asyncio.gather(*(limiter.record_failure("busy", 60) for _ in range(50)))
    assert int(await redis_client.get("lore:attempts:busy") or 0) == 50
    assert await redis_client.ttl("lore:attempts:busy") > 0


async def test_mailbox_writes_readable_messages(tmp_path: Path) -> None:
    mailer = MailboxMailer(tmp_path / "box", "Lore <no-reply@lore.test>")
    await mailer.deliver(MESSAGE)
    await mailer.deliver(EmailMessage(to="bob@example.org", subject="Second", text="x"))
    messages = read_mailbox(mailer.directory)
    assert [m["to"] for m in messages] == ["ann@example.org", "bob@example.org"]
    assert messages[0]["text"] == MESSAGE.text
    assert messages[0]["from"] == "Lore <no-reply@lore.test>"
    assert read_mailbox(tmp_path / "missing") == []


class _Inbox:
    def __init__(self) -> None:
        self.received: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook name
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


async def test_smtp_delivers(smtp_server: tuple[int, _Inbox]) -> None:
    port, inbox = smtp_server
    mailer = SmtpMailer("127.0.0.1", port, "Lore <no-reply@lore.test>", starttls=False)
    await mailer.deliver(MESSAGE)
    (envelope,) = inbox.received
    assert envelope.rcpt_tos == ["ann@example.org"]
    parsed = message_from_bytes(envelope.content)
    assert parsed["Subject"] == "Hello"
    assert "Line two" in parsed.get_payload()


async def test_smtp_failure_raises_for_the_worker_to_retry() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = int(probe.getsockname()[1])
    mailer = SmtpMailer("127.0.0.1", closed_port, "x@lore.test", starttls=False, timeout_seconds=2)
    with pytest.raises(ConnectionRefusedError):
        await mailer.deliver(MESSAGE)
