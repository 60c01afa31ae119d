"""The query-embedding cache in Redis: vectors as packed doubles, failing open when Redis is down."""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from redis.asyncio import Redis

from adapters.outages import OutageLog, failed_dependency

logger = logging.getLogger(__name__)


class RedisQueryEmbeddingCache:
    def __init__(self, redis: Redis, prefix: str = "lore:query-embeddings:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._outage = OutageLog(logger, "query-embedding cache")

    @contextmanager
    def _fail_open(self) -> Iterator[None]:
        """Redis down: embed as if the entry were missing, warning once per outage."""
        try:
            yield
        except Exception as exc:
            if failed_dependency(exc) != "redis":
                raise
            self._outage.failed(exc)
        else:
            self._outage.succeeded()

    async def get(self, key: str) -> list[float] | None:
        raw: bytes | None = None
        with self._fail_open():
            raw = await self._redis.get(self._prefix + key)
        if not raw or len(raw) % 8:
            return None  # missing, or not a vector of doubles: a miss either way
        return array("d", raw).tolist()

    async def put(self, key: str, vector: Sequence[float], ttl_seconds: int) -> None:
        with self._fail_open():
            await self._redis.set(self._prefix + key, array("d", vector).tobytes(), ex=ttl_seconds)
