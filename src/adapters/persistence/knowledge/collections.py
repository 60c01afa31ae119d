"""SQLAlchemy collection repository."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from adapters.persistence.knowledge.owners import stored_user_id
from adapters.persistence.knowledge.tables import (
    CollectionMemberRow,
    CollectionRow,
    DocumentRow,
)
from adapters.persistence.paging import order_by
from application.knowledge.ports import (
    COLLECTION_SORTS,
    CollectionView,
)
from application.shared.ports import Page, PageRequest
from domain.knowledge.errors import CollectionNameTakenError
from domain.knowledge.models import (
    Collection,
    CollectionRole,
)


def _collection(row: CollectionRow) -> Collection:
    return Collection(
        id=row.id,
        name=row.name,
        description=row.description,
        created_by=row.created_by or UUID(int=0),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlCollectionRepository:
    _SORTABLE: ClassVar[dict[str, InstrumentedAttribute[Any]]] = {
        name: getattr(CollectionRow, name) for name in COLLECTION_SORTS
    }

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, collection: Collection) -> None:
        try:
            async with self._session.begin_nested():
                self._session.add(
                    CollectionRow(
                        id=collection.id,
                        name=collection.name,
                        description=collection.description,
                        created_by=stored_user_id(collection.created_by),
                        created_at=collection.created_at,
                        updated_at=collection.updated_at,
                    )
                )
        except IntegrityError as exc:
            raise CollectionNameTakenError() from exc

    async def get(self, collection_id: UUID) -> Collection | None:
        row = await self._session.get(CollectionRow, collection_id, populate_existing=True)
        return None if row is None else _collection(row)

    async def get_owned_by_name(self, owner_id: UUID, name: str) -> Collection | None:
        owner = stored_user_id(owner_id)
        if owner is None:  # no creator (the operator, or a deleted account): no name is reserved
            return None
        row = await self._session.scalar(
            select(CollectionRow).where(CollectionRow.created_by == owner, CollectionRow.name == name)
        )
        return None if row is None else _collection(row)

    async def list_named(self, name: str) -> list[Collection]:
        rows = await self._session.scalars(
            select(CollectionRow).where(CollectionRow.name == name).order_by(CollectionRow.created_at)
        )
        return [_collection(row) for row in rows]

    async def document_count(self, collection_id: UUID) -> int:
        count = await self._session.scalar(select(func.count()).where(DocumentRow.collection_id == collection_id))
        return int(count or 0)

    async def save(self, collection: Collection) -> None:
        try:
            async with self._session.begin_nested():
                await self._session.execute(
                    update(CollectionRow)
                    .where(CollectionRow.id == collection.id)
                    .values(name=collection.name, description=collection.description, updated_at=collection.updated_at)
                    .execution_options(synchronize_session=False)
                )
        except IntegrityError as exc:  # a concurrent rename by the same creator won the race
            raise CollectionNameTakenError() from exc

    async def delete(self, collection_id: UUID) -> None:
        await self._session.execute(
            delete(CollectionRow).where(CollectionRow.id == collection_id).execution_options(synchronize_session=False)
        )

    async def list_visible(self, user_id: UUID, *, all_collections: bool, page: PageRequest) -> Page[CollectionView]:
        member = CollectionMemberRow
        documents = (
            select(func.count(DocumentRow.id))
            .where(DocumentRow.collection_id == CollectionRow.id)
            .correlate(CollectionRow)
            .scalar_subquery()
        )
        statement = select(CollectionRow, member.role, documents.label("document_count")).outerjoin(
            member, and_(member.collection_id == CollectionRow.id, member.user_id == user_id)
        )
        if not all_collections:
            statement = statement.where(member.user_id == user_id)
        total = await self._session.scalar(select(func.count()).select_from(statement.subquery()))
        rows = await self._session.execute(
            statement.order_by(*order_by(page.sort, self._SORTABLE, CollectionRow.id))
            .limit(page.limit)
            .offset(page.offset)
        )
        views = [
            CollectionView(_collection(row), CollectionRole(role) if role else None, int(count))
            for row, role, count in rows.all()
        ]
        return Page(views, int(total or 0), page.limit, page.offset)
