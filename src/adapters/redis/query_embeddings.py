"""The query-embedding cache in Redis: vectors as packed doubles, failing open when Redis is down."""

from __future__ import annotations

import logging
from array import array
from collections.abc import Sequence

from redis.asyncio import Redis

from adapters.outages import OutageLog

logger = logging.getLogger(__name__)


class RedisQueryEmbeddingCache:
    def __init__(self, redis: Redis, prefix: str = "lore:query-embeddings:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._outage = OutageLog(logger, "query-embedding cache")

    async def get(self, key: str) -> list[float] | None:
        raw: bytes | None = None
        with self._outage.redis_fail_open():
            raw = await self._redis.get(self._prefix + key)
        if not raw or len(raw) % 8:
            return None  # missing, or not a vector of doubles: a miss either way
        return array("d", raw).tolist()

    async def put(self, key: str, vector: Sequence[float], ttl_seconds: int) -> None:
        with self._outage.redis_fail_open():
            await self._redis.set(self._prefix + key, array("d", vector).tobytes(), ex=ttl_seconds)
