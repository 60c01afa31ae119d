"""SQLAlchemy refresh token repository (atomic spend)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.identity.tables import (
    RefreshTokenRow,
)
from application.identity.ports import (
    RefreshTokenRecord,
    SpendOutcome,
    SpendStatus,
)


class SqlRefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, token: RefreshTokenRecord) -> None:
        self._session.add(
            RefreshTokenRow(
                id=token.id,
                session_id=token.session_id,
                token_hash=token.token_hash,
                created_at=token.created_at,
                expires_at=token.expires_at,
            )
        )
        await self._session.flush()

    async def spend(self, token_hash: str, now: datetime) -> SpendOutcome:
        # a single conditional UPDATE: Postgres row locking makes exactly one concurrent caller win
        spent = (
            await self._session.execute(
                update(RefreshTokenRow)
                .where(RefreshTokenRow.token_hash == token_hash, RefreshTokenRow.used_at.is_(None))
                .values(used_at=now)
                .returning(RefreshTokenRow.session_id, RefreshTokenRow.expires_at)
                .execution_options(synchronize_session=False)
            )
        ).first()
        if spent is not None:
            owner, expires_at = spent
            return SpendOutcome(SpendStatus.SPENT if expires_at > now else SpendStatus.EXPIRED, owner)
        previous_owner = await self.session_of(token_hash)
        return SpendOutcome(SpendStatus.UNKNOWN if previous_owner is None else SpendStatus.REUSED, previous_owner)

    async def session_of(self, token_hash: str) -> UUID | None:
        return await self._session.scalar(
            select(RefreshTokenRow.session_id).where(RefreshTokenRow.token_hash == token_hash)
        )
