"""Which of a set of collection ids a user may read, in one query."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.knowledge.tables import CollectionMemberRow, CollectionRow


class SqlReadableCollections:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def readable(
        self, user_id: UUID, collection_ids: frozenset[UUID], *, all_collections: bool
    ) -> frozenset[UUID]:
        if all_collections:
            statement = select(CollectionRow.id).where(CollectionRow.id.in_(collection_ids))
        else:
            member = CollectionMemberRow
            statement = select(member.collection_id).where(
                member.user_id == user_id, member.collection_id.in_(collection_ids)
            )
        return frozenset(await self._session.scalars(statement))
