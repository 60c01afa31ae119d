"""SQLAlchemy API key repository."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.identity.tables import (
    ApiKeyRow,
)
from adapters.persistence.identity.writes import affected_rows
from domain.identity.models import ApiKey
from domain.identity.roles import Permission


def _api_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        secret_hash=row.secret_hash,
        scopes=frozenset(Permission(scope) for scope in row.scopes),
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class SqlApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, key: ApiKey) -> None:
        self._session.add(
            ApiKeyRow(
                id=key.id,
                user_id=key.user_id,
                name=key.name,
                prefix=key.prefix,
                secret_hash=key.secret_hash,
                scopes=sorted(scope.value for scope in key.scopes),
                created_at=key.created_at,
                expires_at=key.expires_at,
            )
        )
        await self._session.flush()

    async def get(self, key_id: UUID) -> ApiKey | None:
        row = await self._session.get(ApiKeyRow, key_id, populate_existing=True)
        return None if row is None else _api_key(row)

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        row = await self._session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
        return None if row is None else _api_key(row)

    async def list_for_user(self, user_id: UUID) -> list[ApiKey]:
        rows = await self._session.scalars(
            select(ApiKeyRow).where(ApiKeyRow.user_id == user_id).order_by(ApiKeyRow.created_at.desc())
        )
        return [_api_key(row) for row in rows]

    async def revoke(self, key_id: UUID, now: datetime) -> bool:
        result = await self._session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(ApiKeyRow.id)
            .execution_options(synchronize_session=False)
        )
        return result.first() is not None

    async def revoke_all(self, user_id: UUID, now: datetime) -> int:
        return await affected_rows(
            self._session,
            update(ApiKeyRow)
            .where(ApiKeyRow.user_id == user_id, ApiKeyRow.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(ApiKeyRow.id),
        )

    async def touch(self, key_id: UUID, now: datetime) -> None:
        await self._session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.id == key_id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )

    async def mark_first_use(self, key_id: UUID, now: datetime) -> bool:
        # the IS NULL guard makes one of several concurrent first requests the first
        stamped = await self._session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.id == key_id, ApiKeyRow.last_used_at.is_(None))
            .values(last_used_at=now)
            .returning(ApiKeyRow.id)
            .execution_options(synchronize_session=False)
        )
        return stamped.first() is not None
