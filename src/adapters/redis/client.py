from __future__ import annotations

from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# what redis-py raises for a server that is gone, refuses or does not answer in time
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)


def create_redis(url: str) -> Redis:
    """A pooled async client; ``unix://`` and ``redis(s)://`` URLs both work."""
    pool = ConnectionPool.from_url(url, health_check_interval=30, socket_connect_timeout=5, socket_timeout=5)
    return Redis(connection_pool=pool)
