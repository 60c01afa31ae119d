from __future__ import annotations

from datetime import datetime

from redis.asyncio import Redis

HEARTBEAT_KEY = "lore:worker:heartbeat"  # value: "<ISO time> <worker id>"


class RedisHeartbeatStore:
    """Keeps the latest heartbeat; it expires so a dead worker stops looking alive."""

    def __init__(self, redis: Redis, ttl_seconds: int = 300) -> None:
        self._redis = redis
        self._ttl = ttl_seconds

    async def record(self, worker_id: str, at: datetime) -> None:
        await self._redis.set(HEARTBEAT_KEY, f"{at.isoformat()} {worker_id}", ex=self._ttl)
