"""Connection-pool metrics (OpenTelemetry database semantic conventions) and Redis command errors."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Protocol

from adapters.metrics.registry import counter, gauge, histogram

_wait_time = histogram(
    "db.client.connection.wait_time", "s", "Time to obtain a connection from the pool (every checkout)."
)
_redis_errors = counter("lore.redis.client.errors", "{command}", "Redis commands that raised, by command and error.")


class Pool(Protocol):
    pending: int

    def checkedout(self) -> int: ...
    def checkedin(self) -> int: ...


# the engines' pools by id, each with the database it serves (weakly: a disposed engine's pool goes with it)
_pools: weakref.WeakKeyDictionary[Pool, str] = weakref.WeakKeyDictionary()


def watch_pool(pool: Pool, name: str) -> None:
    _pools[pool] = name


def _per_pool(read: Callable[[Pool], int], **extra: str) -> list[tuple[float, dict[str, str]]]:
    totals: dict[str, int] = {}
    for pool, name in list(_pools.items()):
        totals[name] = totals.get(name, 0) + read(pool)
    return [(float(total), {"db.client.connection.pool.name": name, **extra}) for name, total in totals.items()]


def _connection_counts() -> list[tuple[float, dict[str, str]]]:
    return [
        *_per_pool(lambda pool: pool.checkedout(), **{"db.client.connection.state": "used"}),
        *_per_pool(lambda pool: pool.checkedin(), **{"db.client.connection.state": "idle"}),
    ]


def _pending() -> list[tuple[float, dict[str, str]]]:
    return _per_pool(lambda pool: pool.pending)


gauge("db.client.connection.count", "{connection}", "Pool connections by state (used/idle).", _connection_counts)
gauge("db.client.connection.pending_requests", "{request}", "Checkouts waiting for a pool connection.", _pending)


def observe_connection_wait(duration_seconds: float) -> None:
    _wait_time.record(duration_seconds)


def observe_redis_error(command: str, error_type: str) -> None:
    _redis_errors.add(1, {"db.operation.name": command, "error.type": error_type})
