from __future__ import annotations

from redis.asyncio import ConnectionPool, Redis


def create_redis(url: str) -> Redis:
    """A pooled async client; ``unix://`` and ``redis(s)://`` URLs both work."""
    pool = ConnectionPool.from_url(url, health_check_interval=30, socket_connect_timeout=5, socket_timeout=5)
    return Redis(connection_pool=pool)
