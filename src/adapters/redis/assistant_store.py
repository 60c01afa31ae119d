"""The answer cache and the token-quota ledger in Redis, shared by every API process.

With Redis down the cache fails open (a miss; the answer is computed and not stored) and the
quota fails closed (DependencyUnavailableError: no metered call goes unaccounted).
"""

from __future__ import annotations

import logging
from datetime import datetime
from uuid import UUID

import msgspec
from redis.asyncio import Redis

from adapters.metrics.llm import answer_cache_looked_up, quota_rejected
from adapters.outages import OutageLog, redis_outage_unavailable
from application.assistant.ports import CachedAnswer
from domain.assistant.models import Usage

logger = logging.getLogger(__name__)

_RESERVE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local tokens = tonumber(ARGV[1])
if used + tokens > tonumber(ARGV[2]) then return 0 end
redis.call('INCRBY', KEYS[1], tokens)
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return 1
"""
_ADJUST = """
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if total < 0 then redis.call('SET', KEYS[1], 0, 'KEEPTTL') total = 0 end
redis.call('EXPIREAT', KEYS[1], ARGV[2])
return total
"""


class _Stored(msgspec.Struct):
    text: str
    input_tokens: int
    output_tokens: int
    provider: str
    model: str


class RedisAnswerCache:
    def __init__(self, redis: Redis, prefix: str = "lore:answers:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._outage = OutageLog(logger, "answer cache")

    async def get(self, key: str) -> CachedAnswer | None:
        raw = None
        with self._outage.redis_fail_open():
            raw = await self._redis.get(self._prefix + key)
        stored = self._decoded(raw)
        answer_cache_looked_up(hit=stored is not None)
        if stored is None:
            return None
        return CachedAnswer(
            stored.text, Usage(stored.input_tokens, stored.output_tokens), stored.provider, stored.model
        )

    @staticmethod
    def _decoded(raw: bytes | None) -> _Stored | None:
        if raw is None:
            return None
        try:
            return msgspec.json.decode(raw, type=_Stored)
        except msgspec.DecodeError:
            return None  # a corrupt entry is a miss, not an error

    async def put(self, key: str, answer: CachedAnswer, ttl_seconds: int) -> None:
        stored = _Stored(
            answer.text, answer.usage.input_tokens, answer.usage.output_tokens, answer.provider, answer.model
        )
        with self._outage.redis_fail_open():
            await self._redis.set(self._prefix + key, msgspec.json.encode(stored), ex=ttl_seconds)


class RedisQuotaLedger:
    def __init__(self, redis: Redis, prefix: str = "lore:quota:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._reserve = redis.register_script(_RESERVE)
        self._adjust = redis.register_script(_ADJUST)

    def _key(self, user_id: UUID, period: str) -> str:
        return f"{self._prefix}{period}:{user_id}"

    async def used(self, user_id: UUID, period: str) -> int:
        with redis_outage_unavailable():
            return int(await self._redis.get(self._key(user_id, period)) or 0)

    async def reserve(self, user_id: UUID, period: str, tokens: int, limit: int, expires_at: datetime) -> bool:
        with redis_outage_unavailable():
            result = await self._reserve(
                keys=[self._key(user_id, period)], args=[tokens, limit, int(expires_at.timestamp()) + 3600]
            )
        if not int(result):
            quota_rejected()
        return bool(int(result))

    async def adjust(self, user_id: UUID, period: str, delta: int, expires_at: datetime) -> int:
        with redis_outage_unavailable():
            result = await self._adjust(
                keys=[self._key(user_id, period)], args=[delta, int(expires_at.timestamp()) + 3600]
            )
        return int(result)
