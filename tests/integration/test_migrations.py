"""Every revision goes up and down cleanly on a scratch database."""

from __future__ import annotations

import asyncio

import asyncpg

from adapters.persistence import migrations
from tests.conftest import Stores


async def _extensions(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT extname FROM pg_extension")
        return {row["extname"] for row in rows}
    finally:
        await conn.close()


async def _version(url: str) -> str | None:
    conn = await asyncpg.connect(url)
    try:
        exists = await conn.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL")
        if not exists:
            return None
        version = await conn.fetchval("SELECT version_num FROM alembic_version")
        return None if version is None else str(version)
    finally:
        await conn.close()


def test_upgrade_downgrade_upgrade(stores: Stores) -> None:
    asyncio.run(stores.postgres.ensure_database("lore_migrations"))
    url = stores.postgres.url("lore_migrations")

    migrations.upgrade(url)
    assert "vector" in asyncio.run(_extensions(url))
    assert asyncio.run(_version(url)) == migrations.head_revision()

    migrations.downgrade(url, "base")
    assert "vector" not in asyncio.run(_extensions(url))
    assert asyncio.run(_version(url)) is None

    migrations.upgrade(url)
    assert asyncio.run(_version(url)) == migrations.head_revision()
