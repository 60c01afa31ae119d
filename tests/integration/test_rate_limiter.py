"""The GCRA limiter on the real embedded Redis."""

from __future__ import annotations

from redis.asyncio import Redis

from adapters.redis.rate_limiter import RedisRateLimiter


async def test_a_burst_of_the_limit_then_refusal_with_retry_after(redis_client: Redis) -> None:
    limiter = RedisRateLimiter(redis_client)
    decisions = [await limiter.acquire("alice", limit=3, window_seconds=3600) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert all(0 < d.reset_seconds <= 3600 for d in decisions)
    assert 0 < decisions[-1].retry_after_seconds <= 1200  # one unit comes back every window/limit
    assert all(d.retry_after_seconds == 0 for d in decisions[:3])
    other = await limiter.acquire("bob", limit=3, window_seconds=3600)
    assert other.allowed
    assert other.remaining == 2


async def test_cost_and_idle_buckets_take_no_memory(redis_client: Redis) -> None:
    limiter = RedisRateLimiter(redis_client, prefix="test:rate:")
    heavy = await limiter.acquire("upload", limit=10, window_seconds=60, cost=4)
    assert heavy.remaining == 6
    too_heavy = await limiter.acquire("upload", limit=10, window_seconds=60, cost=7)
    assert not too_heavy.allowed
    assert too_heavy.remaining == 6  # a refused request spends nothing
    ttl = await redis_client.pttl("test:rate:upload")
    assert 0 < ttl <= 60_000 * 4 // 10 + 1  # the key lives only until the bucket is full again


async def test_a_limit_far_above_the_clock_resolution_still_answers(redis_client: Redis) -> None:
    # 10 million a second is 0.1 us a request: the schedule cannot move at Redis' microsecond
    # clock, and the bucket's expiry must still be a valid one (it once was PX 0: a Redis error, a 500)
    limiter = RedisRateLimiter(redis_client, prefix="test:rate:")
    decisions = [await limiter.acquire("busy", limit=10_000_000, window_seconds=1) for _ in range(3)]
    assert all(d.allowed for d in decisions)  # and no Redis error (the key may already have expired: 1 ms)
