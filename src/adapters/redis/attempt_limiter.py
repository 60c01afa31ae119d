"""Fixed-window failure counters in Redis, updated atomically (one Lua call), shared by all API processes.

They fail closed: with Redis down, every call raises DependencyUnavailableError, so sign-in and
email-sending requests answer 503 rather than going on without a limit.
"""

from __future__ import annotations

from redis.asyncio import Redis

from adapters.outages import redis_outage_unavailable

_RECORD = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class RedisAttemptLimiter:
    def __init__(self, redis: Redis, prefix: str = "lore:attempts:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._record = redis.register_script(_RECORD)

    async def retry_after(self, key: str, limit: int, window_seconds: int) -> int | None:
        name = self._prefix + key
        with redis_outage_unavailable():
            count = await self._redis.get(name)
            if count is None or int(count) < limit:
                return None
            ttl = int(await self._redis.ttl(name))
        return ttl if ttl > 0 else window_seconds

    async def record_failure(self, key: str, window_seconds: int) -> None:
        with redis_outage_unavailable():
            await self._record(keys=[self._prefix + key], args=[window_seconds])

    async def clear(self, key: str) -> None:
        with redis_outage_unavailable():
            await self._redis.delete(self._prefix + key)
