"""SQLAlchemy collection membership repository."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.knowledge.tables import (
    CollectionMemberRow,
)
from domain.knowledge.models import (
    CollectionRole,
    Membership,
)


class SqlMembershipRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def role_of(self, collection_id: UUID, user_id: UUID) -> CollectionRole | None:
        role = await self._session.scalar(
            select(CollectionMemberRow.role).where(
                CollectionMemberRow.collection_id == collection_id, CollectionMemberRow.user_id == user_id
            )
        )
        return None if role is None else CollectionRole(role)

    async def put(self, membership: Membership) -> None:
        statement = pg_insert(CollectionMemberRow).values(
            collection_id=membership.collection_id,
            user_id=membership.user_id,
            role=membership.role.value,
            created_at=membership.created_at,
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["collection_id", "user_id"], set_={"role": statement.excluded.role}
            )
        )

    async def remove(self, collection_id: UUID, user_id: UUID) -> bool:
        result = await self._session.execute(
            delete(CollectionMemberRow)
            .where(CollectionMemberRow.collection_id == collection_id, CollectionMemberRow.user_id == user_id)
            .returning(CollectionMemberRow.id)
            .execution_options(synchronize_session=False)
        )
        return result.first() is not None

    async def list(self, collection_id: UUID) -> list[Membership]:
        rows = await self._session.scalars(
            select(CollectionMemberRow)
            .where(CollectionMemberRow.collection_id == collection_id)
            .order_by(CollectionMemberRow.created_at)
        )
        return [Membership(r.collection_id, r.user_id, CollectionRole(r.role), r.created_at) for r in rows]

    async def roles_in(self, collection_ids: Sequence[UUID], user_id: UUID) -> dict[UUID, CollectionRole]:
        rows = await self._session.execute(
            select(CollectionMemberRow.collection_id, CollectionMemberRow.role).where(
                CollectionMemberRow.collection_id.in_(collection_ids), CollectionMemberRow.user_id == user_id
            )
        )
        return {collection_id: CollectionRole(role) for collection_id, role in rows}

    async def list_many(self, collection_ids: Sequence[UUID]) -> dict[UUID, builtins.list[Membership]]:
        found: dict[UUID, builtins.list[Membership]] = {collection_id: [] for collection_id in collection_ids}
        rows = await self._session.scalars(
            select(CollectionMemberRow)
            .where(CollectionMemberRow.collection_id.in_(collection_ids))
            .order_by(CollectionMemberRow.created_at)
        )
        for r in rows:
            found[r.collection_id].append(Membership(r.collection_id, r.user_id, CollectionRole(r.role), r.created_at))
        return found

    async def count_owners(self, collection_id: UUID) -> int:
        count = await self._session.scalar(
            select(func.count()).where(
                CollectionMemberRow.collection_id == collection_id,
                CollectionMemberRow.role == CollectionRole.OWNER.value,
            )
        )
        return int(count or 0)
