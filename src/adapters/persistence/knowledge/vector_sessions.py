"""Sessions for the vector leg of search, on a pool of their own.

The keyword leg runs on the request's session; the vector leg on one of these, so a hybrid search runs both
at once. A separate pool, not the request pool: a request holding its connection while it waits for a second
one from the same pool could starve with every connection held by such requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.persistence.engine import create_engine, create_session_factory


@dataclass(frozen=True, slots=True)
class VectorSessions:
    factory: async_sessionmaker[AsyncSession]


VECTOR_POOL = "postgres.vector"  # its name in the pool metrics, apart from the request pool's


def create_vector_engine(
    url: str, *, ef_search: int, pool_size: int, server_settings: Mapping[str, str] | None = None
) -> AsyncEngine:
    """Autocommit connections (a read needs no BEGIN/ROLLBACK) whose HNSW settings are set once, at connect.

    Filtered HNSW scans keep searching until enough rows pass the filter (pgvector >= 0.8); the candidate
    list size trades latency for recall (pgvector's default of 40 missed a third of the top 10).
    """
    settings = {"hnsw.iterative_scan": "relaxed_order", "hnsw.ef_search": str(int(ef_search))}
    settings |= server_settings or {}
    statement = "; ".join(f"SET {name} = '{value}'" for name, value in settings.items())
    engine = create_engine(url, pool_size=pool_size, pool_name=VECTOR_POOL)

    def set_once(dbapi_connection: Any, _record: Any) -> None:
        # once per new connection, outside any transaction (asyncpg's own connection): no round trip per query
        dbapi_connection.run_async(lambda connection: connection.execute(statement))

    # on the engine itself: its pool connects through it, not through the copy with the autocommit option
    event.listen(engine.sync_engine, "connect", set_once)
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def vector_sessions(engine: AsyncEngine) -> VectorSessions:
    return VectorSessions(create_session_factory(engine))
