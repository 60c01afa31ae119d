"""Development mailbox: messages land as JSON files so dev and tests can read the links."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from application.identity.ports import EmailMessage


class MailboxMailer:
    def __init__(self, directory: Path, sender: str) -> None:
        self._directory = directory
        self._sender = sender

    @property
    def directory(self) -> Path:
        return self._directory

    async def deliver(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._write, message)

    def _write(self, message: EmailMessage) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC)
        payload = {
            "from": self._sender,
            "to": message.to,
            "subject": message.subject,
            "text": message.text,
            "sent_at": now.isoformat(),
        }
        name = f"{now.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}.json"
        temporary = self._directory / f".{name}.tmp"
        temporary.write_text(json.dumps(payload, indent=2))
        temporary.rename(self._directory / name)  # readers never see half a message
