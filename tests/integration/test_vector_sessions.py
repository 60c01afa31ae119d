"""The vector leg's connections: HNSW settings of their own, set once, and no transaction around a read."""

from __future__ import annotations

from sqlalchemy import text

from adapters.persistence.knowledge.vector_sessions import create_vector_engine, vector_sessions
from entrypoints.bootstrap.settings import Settings


async def test_vector_connections_carry_the_hnsw_settings_and_read_in_autocommit(settings: Settings) -> None:
    engine = create_vector_engine(settings.require_database_url, ef_search=123, pool_size=1)
    try:
        for _ in range(2):  # a fresh connection, then the same one back from the pool
            async with vector_sessions(engine).factory() as session:
                query = text("SELECT current_setting('hnsw.ef_search'), current_setting('hnsw.iterative_scan')")
                assert tuple((await session.execute(query)).one()) == ("123", "relaxed_order")
                # in autocommit each statement is a transaction of its own (no BEGIN sent before the query)
                first = (await session.execute(text("SELECT txid_current()"))).scalar()
                second = (await session.execute(text("SELECT txid_current()"))).scalar()
                assert first != second
    finally:
        await engine.dispose()
