"""The signing keys in Postgres: the one store every API process already shares, so a rotation reaches all.

Each call is its own short transaction on the engine (the ring refreshes outside any request).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.identity.tables import signing_keys
from domain.identity.signing_keys import SigningKey

# one writer at a time: two processes starting on an empty table make one first key, not two
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('lore.signing_keys'))")
_PUBLIC_COLUMNS = (
    signing_keys.c.kid,
    signing_keys.c.algorithm,
    signing_keys.c.public_key,
    signing_keys.c.created_at,
    signing_keys.c.activates_at,
    signing_keys.c.retired_at,
)


class SqlSigningKeyStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list_keys(self) -> list[SigningKey]:
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(*_PUBLIC_COLUMNS).order_by(signing_keys.c.created_at, signing_keys.c.kid)
            )
            return [
                SigningKey(
                    kid=row.kid,
                    public_key=bytes(row.public_key),
                    created_at=row.created_at,
                    activates_at=row.activates_at,
                    retired_at=row.retired_at,
                    algorithm=row.algorithm,
                )
                for row in rows
            ]

    async def sealed_private_key(self, kid: str) -> bytes | None:
        async with self._engine.connect() as connection:
            sealed = await connection.scalar(select(signing_keys.c.private_key_sealed).where(signing_keys.c.kid == kid))
        return None if sealed is None else bytes(sealed)

    async def add_first(self, key: SigningKey, sealed_private_key: bytes) -> bool:
        async with self._engine.begin() as connection:
            await connection.execute(_LOCK)
            if await connection.scalar(select(func.count()).select_from(signing_keys)):
                return False
            await connection.execute(insert(signing_keys).values(**_values(key, sealed_private_key)))
        return True

    async def add_successor(self, key: SigningKey, sealed_private_key: bytes) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(_LOCK)
            await connection.execute(
                update(signing_keys).where(signing_keys.c.retired_at.is_(None)).values(retired_at=key.activates_at)
            )
            await connection.execute(insert(signing_keys).values(**_values(key, sealed_private_key)))

    async def remove(self, kids: Sequence[str]) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(delete(signing_keys).where(signing_keys.c.kid.in_(list(kids))))


def _values(key: SigningKey, sealed_private_key: bytes) -> dict[str, object]:
    return {
        "kid": key.kid,
        "algorithm": key.algorithm,
        "public_key": key.public_key,
        "private_key_sealed": sealed_private_key,
        "created_at": key.created_at,
        "activates_at": key.activates_at,
        "retired_at": key.retired_at,
    }
