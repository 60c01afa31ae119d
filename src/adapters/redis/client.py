from __future__ import annotations

from typing import Any

from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.metrics.platform import observe_redis_error

# what redis-py raises for a server that is gone, refuses or does not answer in time
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)


class MeteredRedis(Redis):
    """Counts the commands that raise (timeouts, lost connections, script errors) by command and error type."""

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        try:
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except NoScriptError:
            raise  # not a failure: a script's first run on a server, which redis-py answers by loading it
        except Exception as error:
            observe_redis_error(str(args[0]).upper() if args else "?", type(error).__name__)
            raise


def create_redis(url: str) -> Redis:
    """A pooled async client; ``unix://`` and ``redis(s)://`` URLs both work."""
    pool = ConnectionPool.from_url(url, health_check_interval=30, socket_connect_timeout=5, socket_timeout=5)
    return MeteredRedis(connection_pool=pool)
