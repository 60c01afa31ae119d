"""SQLAlchemy one-time token repository (verification, reset)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.identity.tables import (
    OneTimeTokenRow,
)
from adapters.persistence.identity.writes import affected_rows
from application.identity.ports import (
    OneTimeToken,
)
from domain.identity.models import TokenPurpose


class SqlOneTimeTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, token: OneTimeToken) -> None:
        self._session.add(
            OneTimeTokenRow(
                id=token.id,
                user_id=token.user_id,
                purpose=token.purpose.value,
                token_hash=token.token_hash,
                created_at=token.created_at,
                expires_at=token.expires_at,
                first_factor=token.first_factor,
            )
        )
        await self._session.flush()

    async def consume(self, purpose: TokenPurpose, token_hash: str, now: datetime) -> UUID | None:
        return await self._session.scalar(
            update(OneTimeTokenRow)
            .where(
                OneTimeTokenRow.token_hash == token_hash,
                OneTimeTokenRow.purpose == purpose.value,
                OneTimeTokenRow.used_at.is_(None),
                OneTimeTokenRow.expires_at > now,
            )
            .values(used_at=now)
            .returning(OneTimeTokenRow.user_id)
            .execution_options(synchronize_session=False)
        )

    async def find(self, purpose: TokenPurpose, token_hash: str, now: datetime) -> OneTimeToken | None:
        row = await self._session.scalar(
            select(OneTimeTokenRow).where(
                OneTimeTokenRow.token_hash == token_hash,
                OneTimeTokenRow.purpose == purpose.value,
                OneTimeTokenRow.used_at.is_(None),
                OneTimeTokenRow.expires_at > now,
            )
        )
        if row is None:
            return None
        return OneTimeToken(
            id=row.id,
            user_id=row.user_id,
            purpose=TokenPurpose(row.purpose),
            token_hash=row.token_hash,
            created_at=row.created_at,
            expires_at=row.expires_at,
            first_factor=row.first_factor,
        )

    async def discard_all(self, user_id: UUID, purpose: TokenPurpose, now: datetime) -> None:
        await self._session.execute(
            update(OneTimeTokenRow)
            .where(
                OneTimeTokenRow.user_id == user_id,
                OneTimeTokenRow.purpose == purpose.value,
                OneTimeTokenRow.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )

    async def purge(self, expired_before: datetime) -> int:
        return await affected_rows(
            self._session,
            delete(OneTimeTokenRow)
            .where(or_(OneTimeTokenRow.expires_at < expired_before, OneTimeTokenRow.used_at < expired_before))
            .returning(OneTimeTokenRow.id),
        )
