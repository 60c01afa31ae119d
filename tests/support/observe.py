"""Reading what the app leaves in its stores, for tests that check the effect rather than an API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from redis.asyncio import Redis

from adapters.persistence.migrations import alembic_config
from adapters.redis.heartbeat import HEARTBEAT_KEY


def read_mailbox(directory: Path) -> list[dict[str, str]]:
    """The development mailbox's messages, oldest first."""
    if not directory.exists():
        return []
    return [json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))]


async def last_heartbeat(redis: Redis) -> datetime | None:
    """When a worker last recorded its heartbeat (None once it expired or before the first)."""
    raw = await redis.get(HEARTBEAT_KEY)
    if raw is None:
        return None
    stamp, _, _worker = bytes(raw).decode().partition(" ")
    return datetime.fromisoformat(stamp).astimezone(UTC)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("postgresql://localhost/x")).get_current_head()
