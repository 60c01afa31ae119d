"""A pooled connection that was cut while idle is replaced before a request uses it."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text

from adapters.persistence import engine as engine_module
from adapters.persistence.engine import create_engine
from entrypoints.bootstrap.settings import Settings


async def test_a_connection_cut_while_idle_is_replaced_before_use(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)  # every pooled connection counts as idle
    engine = create_engine(settings.require_database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            first = await connection.scalar(text("SELECT pg_backend_pid()"))
        killer = await asyncpg.connect(settings.require_database_url)
        try:
            assert await killer.fetchval("SELECT pg_terminate_backend($1)", first)
        finally:
            await killer.close()
        async with engine.connect() as connection:  # the pooled one is dead: the ping finds out first
            second = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        await engine.dispose()
