"""The daily purge deletes long-ended sessions and spent tokens, and nothing still in use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from application.identity.cleanup import PurgeExpiredCredentials
from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.settings import Settings
from tests.support.api import Client, signed_in


async def _count(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


async def test_purge(settings: Settings, engine: AsyncEngine, client: Client) -> None:
    await signed_in(client, "live@example.org")
    old = await signed_in(client, "old@example.org")
    await client.post("/api/v1/auth/password/forgot", json={"email": "old@example.org"})
    long_ago = datetime.now(UTC) - timedelta(days=40)
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE auth_sessions SET revoked_at = :at WHERE user_id = :user"), {"at": long_ago, "user": old.id}
        )
        await connection.execute(text("UPDATE one_time_tokens SET expires_at = :at"), {"at": long_ago})
    assert await _count(engine, "auth_sessions") == 2
    assert await _count(engine, "one_time_tokens") == 1

    container = build_container(settings)
    try:
        async with container() as scope:
            purged = await (await scope.get(PurgeExpiredCredentials)).execute()
    finally:
        await container.close()
    assert (purged.sessions, purged.one_time_tokens) == (1, 1)
    assert await _count(engine, "auth_sessions") == 1
    assert await _count(engine, "refresh_tokens") == 1  # the ended session's tokens went with it
    assert await _count(engine, "one_time_tokens") == 0
