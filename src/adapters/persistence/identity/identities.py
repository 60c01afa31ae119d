"""SQLAlchemy repository of the OpenID Connect identities linked to users."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.identity.tables import UserIdentityRow
from domain.identity.errors import IdentityTakenError
from domain.identity.models import ExternalIdentity


def _identity(row: UserIdentityRow) -> ExternalIdentity:
    return ExternalIdentity(
        id=row.id,
        user_id=row.user_id,
        provider=row.provider,
        subject=row.subject,
        email=row.email,
        linked_at=row.linked_at,
    )


class SqlExternalIdentityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, identity: ExternalIdentity) -> None:
        row = UserIdentityRow(
            id=identity.id,
            user_id=identity.user_id,
            provider=identity.provider,
            subject=identity.subject,
            email=identity.email,
            linked_at=identity.linked_at,
        )
        try:
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError as exc:  # two callbacks racing to link one subject
            raise IdentityTakenError() from exc

    async def get(self, identity_id: UUID) -> ExternalIdentity | None:
        row = await self._session.get(UserIdentityRow, identity_id, populate_existing=True)
        return None if row is None else _identity(row)

    async def find(self, provider: str, subject: str) -> ExternalIdentity | None:
        row = await self._session.scalar(
            select(UserIdentityRow).where(UserIdentityRow.provider == provider, UserIdentityRow.subject == subject)
        )
        return None if row is None else _identity(row)

    async def list_for_user(self, user_id: UUID) -> list[ExternalIdentity]:
        rows = await self._session.scalars(
            select(UserIdentityRow).where(UserIdentityRow.user_id == user_id).order_by(UserIdentityRow.linked_at)
        )
        return [_identity(row) for row in rows]

    async def delete(self, identity_id: UUID) -> None:
        await self._session.execute(
            delete(UserIdentityRow)
            .where(UserIdentityRow.id == identity_id)
            .execution_options(synchronize_session=False)
        )
