from __future__ import annotations

from datetime import UTC, datetime

from redis.asyncio import Redis

_KEY = "lore:worker:heartbeat"


class RedisHeartbeatStore:
    """Keeps the latest heartbeat; it expires so a dead worker stops looking alive."""

    def __init__(self, redis: Redis, ttl_seconds: int = 300) -> None:
        self._redis = redis
        self._ttl = ttl_seconds

    async def record(self, worker_id: str, at: datetime) -> None:
        await self._redis.set(_KEY, f"{at.isoformat()} {worker_id}", ex=self._ttl)

    async def last_seen(self) -> datetime | None:
        raw = await self._redis.get(_KEY)
        if raw is None:
            return None
        stamp, _, _worker = bytes(raw).decode().partition(" ")
        return datetime.fromisoformat(stamp).astimezone(UTC)
