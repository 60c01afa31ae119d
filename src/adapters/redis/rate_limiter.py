"""GCRA rate limiting in Redis: one Lua call per request decides and records, atomically for all API processes.

The script reads Redis' own clock, so API processes with skewed clocks still share one schedule. A
bucket is a single key holding its "theoretical arrival time" (TAT) in microseconds; it expires as soon
as the bucket is full again, so idle callers cost no memory.

It runs on every request, so its trace span is a leaf made here (only when the request is sampled)
instead of the Redis instrumentation's, which is made current, formats the arguments and is built even
for unsampled requests.
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.util.types import AttributeValue
from redis.asyncio import Redis

from adapters.client_spans import leaf_client_span

# KEYS[1] bucket; ARGV: limit, window (us), cost. Returns {allowed, remaining, reset_us, retry_after_us}.
_ACQUIRE = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local interval = window / limit
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + cost * interval
if new_tat - now > window then
  local remaining = math.floor((window - (tat - now)) / interval)
  return {0, remaining, tat - now, new_tat - window - now}
end
-- at least 1 ms: with a tiny interval new_tat can round to now, and PX 0 is an error
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.max(1, math.ceil((new_tat - now) / 1000)))
return {1, math.floor((window - (new_tat - now)) / interval), new_tat - now, 0}
"""

_MICROS = 1_000_000
_tracer = trace.get_tracer("lore.redis.rate_limiter")


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    remaining: int  # requests of cost 1 still allowed right now
    reset_seconds: int  # until the whole quota is available again
    retry_after_seconds: int  # 0 when allowed


def _seconds(micros: int) -> int:
    return -(-int(micros) // _MICROS)  # rounded up: a client that waits this long is let through


class RedisRateLimiter:
    """Redis errors propagate: the caller decides per policy whether to fail open or closed."""

    def __init__(self, redis: Redis, prefix: str = "lore:rate:") -> None:
        self._prefix = prefix
        self._acquire = redis.register_script(_ACQUIRE)
        kwargs = redis.connection_pool.connection_kwargs
        self._span_attributes: dict[str, AttributeValue] = {
            "db.system": "redis",
            "db.statement": "EVALSHA rate-limit ? 1 ? ? ? ?",  # the script and its one key, no caller id
            "db.redis.database_index": int(kwargs.get("db", 0)),
        }

    async def acquire(self, key: str, *, limit: int, window_seconds: int, cost: int = 1) -> RateDecision:
        keys, args = [self._prefix + key], [limit, window_seconds * _MICROS, cost]
        with suppress_instrumentation(), leaf_client_span(_tracer, "EVALSHA", self._span_attributes):
            allowed, remaining, reset, retry = await self._acquire(keys=keys, args=args)
        return RateDecision(
            allowed=bool(allowed),
            remaining=max(0, int(remaining)),
            reset_seconds=_seconds(reset),
            retry_after_seconds=max(1, _seconds(retry)) if not allowed else 0,
        )
