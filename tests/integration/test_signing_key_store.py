"""The signing keys in Postgres: one first key however many processes start at once, atomic retirement."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.engine import create_engine
from adapters.persistence.identity.signing_keys import SqlSigningKeyStore
from adapters.security.signing_keys import Ed25519KeyGenerator, KeySealer
from entrypoints.bootstrap.settings import Settings

SEALER = KeySealer("s" * 48)


async def test_processes_starting_together_make_one_first_key(settings: Settings, engine: AsyncEngine) -> None:
    now = datetime.now(UTC)
    engines = [create_engine(settings.require_database_url, pool_size=1) for _ in range(3)]
    try:
        stores = [SqlSigningKeyStore(each) for each in engines]
        made = await asyncio.gather(
            *(store.add_first(*Ed25519KeyGenerator(SEALER).generate(now, now)) for store in stores)
        )
    finally:
        for each in engines:
            await each.dispose()
    assert sorted(made) == [False, False, True]
    (key,) = await SqlSigningKeyStore(engine).list_keys()
    assert len(key.public_key) == 32
    sealed = await SqlSigningKeyStore(engine).sealed_private_key(key.kid)
    assert sealed is not None
    assert SEALER.open(key.kid, sealed).public_key().public_bytes_raw() == key.public_key


async def test_a_successor_retires_the_others_in_one_go(engine: AsyncEngine) -> None:
    store = SqlSigningKeyStore(engine)
    now = datetime.now(UTC)
    generator = Ed25519KeyGenerator(SEALER)
    first, sealed = generator.generate(now, now)
    assert await store.add_first(first, sealed)
    second, sealed = generator.generate(now + timedelta(seconds=1), now + timedelta(minutes=1))
    await store.add_successor(second, sealed)
    keys = {key.kid: key for key in await store.list_keys()}
    assert keys[first.kid].retired_at == second.activates_at
    assert keys[second.kid].retired_at is None
    assert [key.kid for key in await store.list_keys()] == [first.kid, second.kid]  # oldest first
    await store.remove([first.kid])
    assert [key.kid for key in await store.list_keys()] == [second.kid]
    assert await store.sealed_private_key(first.kid) is None
