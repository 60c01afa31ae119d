"""SQLAlchemy collection repository."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache, partial
from typing import Any
from uuid import UUID

from sqlalchemy import BindParameter, Select, and_, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.knowledge.owners import stored_user_id
from adapters.persistence.knowledge.tables import (
    CollectionMemberRow,
    CollectionRow,
    DocumentRow,
)
from adapters.persistence.reads import ReadPool, Statement
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


def _collection(row: CollectionRow | Mapping[str, Any]) -> Collection:
    """From an ORM row or a driver row of the same columns (the list query reads the table on the read pool)."""
    field: Callable[[str], Any] = partial(getattr, row) if isinstance(row, CollectionRow) else row.__getitem__
    return Collection(
        id=field("id"),
        name=field("name"),
        description=field("description"),
        created_by=field("created_by") or UUID(int=0),
        created_at=field("created_at"),
        updated_at=field("updated_at"),
    )


class SqlCollectionRepository:
    """On the request's session, except the list, which reads in autocommit on the read pool (a hot path)."""

    def __init__(self, session: AsyncSession, reads: ReadPool) -> None:
        self._session = session
        self._reads = reads

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

    async def get_many(self, collection_ids: Sequence[UUID]) -> dict[UUID, Collection]:
        rows = await self._session.scalars(select(CollectionRow).where(CollectionRow.id.in_(collection_ids)))
        return {row.id: _collection(row) for row in rows}

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
        values = {"user_id": user_id, "limit": page.limit, "offset": page.offset}
        rows = await self._reads.fetch(_visible_page(page.sort, all_collections=all_collections), values)
        if rows:
            total = rows[0]["total"]
        else:  # past the last page the window has no row to carry the total
            counted = await self._reads.fetchrow(_visible_count(all_collections=all_collections), values)
            total = counted[0] if counted else 0
        views = [
            CollectionView(
                _collection(row),
                CollectionRole(row["role"]) if row["role"] else None,
                int(row["document_count"]),
            )
            for row in rows
        ]
        return Page(views, int(total or 0), page.limit, page.offset)


_COLLECTIONS = CollectionRow.__table__
_MEMBERS = CollectionMemberRow.__table__
_DOCUMENTS = DocumentRow.__table__


def _visible(*columns: Any, all_collections: bool) -> Select[Any]:
    user: BindParameter[UUID] = bindparam("user_id")
    statement = select(*columns).select_from(
        _COLLECTIONS.outerjoin(
            _MEMBERS, and_(_MEMBERS.c.collection_id == _COLLECTIONS.c.id, _MEMBERS.c.user_id == user)
        )
    )
    return statement if all_collections else statement.where(_MEMBERS.c.user_id == user)


def _ordering(sort: str, columns: Any) -> list[Any]:
    """``field`` or ``-field`` with the id as tiebreak; unknown fields were rejected at the edge."""
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    if field not in COLLECTION_SORTS:
        return [columns.id.desc()]
    return [columns[field].desc(), columns.id.desc()] if descending else [columns[field].asc(), columns.id.asc()]


# Built once per (sort, scope), not per request: one round trip gives the page and, by a window, the total;
# the page is cut first so documents are counted only for the rows shown.
@lru_cache(maxsize=16)
def _visible_page(sort: str, *, all_collections: bool) -> Statement:
    page = (
        _visible(*_COLLECTIONS.c, _MEMBERS.c.role, func.count().over().label("total"), all_collections=all_collections)
        .order_by(*_ordering(sort, _COLLECTIONS.c))
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("page")
    )
    documents = (
        select(func.count(_DOCUMENTS.c.id))
        .where(_DOCUMENTS.c.collection_id == page.c.id)
        .correlate(page)
        .scalar_subquery()
        .label("document_count")
    )
    return Statement(select(page, documents).order_by(*_ordering(sort, page.c)))


@lru_cache(maxsize=2)
def _visible_count(*, all_collections: bool) -> Statement:
    return Statement(_visible(func.count(), all_collections=all_collections))
