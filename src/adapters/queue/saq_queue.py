"""SAQ queue on Redis."""

from __future__ import annotations

from saq.queue.redis import RedisQueue

from adapters.redis.client import create_redis


def create_queue(redis_url: str, name: str) -> RedisQueue:
    # SAQ owns this client (it closes it on disconnect), so it does not share the app's pool
    return RedisQueue(create_redis(redis_url), name=name)
