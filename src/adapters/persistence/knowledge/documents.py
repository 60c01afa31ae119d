"""SQLAlchemy document repository (originals and metadata)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVarTuple
from uuid import UUID

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from adapters.persistence.knowledge.owners import stored_user_id
from adapters.persistence.knowledge.tables import (
    DocumentRow,
    DocumentSourceRow,
)
from adapters.persistence.paging import LIKE_ESCAPE, contains_pattern, fetch_page, order_by
from application.knowledge.ports import (
    DOCUMENT_SORTS,
    DocumentQuery,
    StoredSource,
)
from application.shared.ports import Page
from domain.knowledge.errors import DuplicateDocumentError
from domain.knowledge.models import (
    ContentType,
    Document,
    DocumentStatus,
)

_Ts = TypeVarTuple("_Ts")


def document_of(row: DocumentRow) -> Document:
    return Document(
        id=row.id,
        collection_id=row.collection_id,
        title=row.title,
        content_type=ContentType(row.content_type),
        content_hash=row.content_hash,
        size_bytes=row.size_bytes,
        status=DocumentStatus(row.status),
        created_by=row.created_by or UUID(int=0),
        created_at=row.created_at,
        updated_at=row.updated_at,
        metadata=dict(row.doc_metadata or {}),
        chunk_count=row.chunk_count,
        error_stage=row.error_stage,
        error_message=row.error_message,
        idempotency_key=row.idempotency_key,
    )


def _changeable(document: Document) -> dict[str, Any]:
    """The columns ``save`` writes; ``add`` writes these and the ones fixed at creation."""
    return {
        "title": document.title,
        "content_type": document.content_type.value,
        "content_hash": document.content_hash,
        "size_bytes": document.size_bytes,
        "status": document.status.value,
        "doc_metadata": document.metadata,
        "chunk_count": document.chunk_count,
        "error_stage": document.error_stage,
        "error_message": document.error_message,
        "updated_at": document.updated_at,
    }


class SqlDocumentRepository:
    _SORTABLE: ClassVar[dict[str, InstrumentedAttribute[Any]]] = {
        name: getattr(DocumentRow, name) for name in DOCUMENT_SORTS
    }

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, document: Document, source: StoredSource) -> None:
        try:
            async with self._session.begin_nested():
                self._session.add(
                    DocumentRow(
                        id=document.id,
                        collection_id=document.collection_id,
                        idempotency_key=document.idempotency_key,
                        created_by=stored_user_id(document.created_by),
                        created_at=document.created_at,
                        **_changeable(document),
                    )
                )
                await self._session.flush()
                self._session.add(
                    DocumentSourceRow(
                        document_id=document.id, blob_key=source.blob_key, filename=source.filename, data=source.data
                    )
                )
        except IntegrityError as exc:  # a concurrent upload of the same content won the race
            raise DuplicateDocumentError() from exc

    async def get(self, document_id: UUID) -> Document | None:
        row = await self._session.get(DocumentRow, document_id, populate_existing=True)
        return None if row is None else document_of(row)

    async def source_of(self, document_id: UUID) -> StoredSource | None:
        row = (
            await self._session.execute(
                select(DocumentSourceRow.blob_key, DocumentSourceRow.filename, DocumentSourceRow.data).where(
                    DocumentSourceRow.document_id == document_id
                )
            )
        ).first()
        return None if row is None else StoredSource(row[0], row[1], row[2])

    async def find_by_hash(self, collection_id: UUID, content_hash: str) -> Document | None:
        row = await self._session.scalar(
            select(DocumentRow).where(
                DocumentRow.collection_id == collection_id, DocumentRow.content_hash == content_hash
            )
        )
        return None if row is None else document_of(row)

    async def find_by_idempotency_key(self, collection_id: UUID, created_by: UUID, key: str) -> Document | None:
        row = await self._session.scalar(
            select(DocumentRow).where(
                DocumentRow.collection_id == collection_id,
                DocumentRow.created_by == created_by,
                DocumentRow.idempotency_key == key,
            )
        )
        return None if row is None else document_of(row)

    async def save(self, document: Document, source: StoredSource | None = None) -> None:
        await self._session.execute(
            update(DocumentRow)
            .where(DocumentRow.id == document.id)
            .values(**_changeable(document))
            .execution_options(synchronize_session=False)
        )
        if source is not None:
            await self._session.execute(
                update(DocumentSourceRow)
                .where(DocumentSourceRow.document_id == document.id)
                .values(blob_key=source.blob_key, filename=source.filename, data=source.data)
                .execution_options(synchronize_session=False)
            )

    async def delete(self, document_id: UUID) -> None:
        await self._session.execute(
            delete(DocumentRow).where(DocumentRow.id == document_id).execution_options(synchronize_session=False)
        )

    async def ids_in_collection(self, collection_id: UUID) -> builtins.list[UUID]:
        rows = await self._session.scalars(select(DocumentRow.id).where(DocumentRow.collection_id == collection_id))
        return list(rows)

    async def list(self, query: DocumentQuery) -> Page[Document]:
        statement = _filtered(select(DocumentRow).where(DocumentRow.collection_id == query.collection_id), query)
        rows, total = await fetch_page(
            self._session, statement, query.page, order_by(query.page.sort, self._SORTABLE, DocumentRow.id)
        )
        return Page([document_of(row) for row in rows], total, query.page.limit, query.page.offset)

    async def list_many(self, queries: Sequence[DocumentQuery]) -> builtins.list[Page[Document]]:
        """Two statements per distinct (page, filters): each collection's rows by a window, and the counts."""
        groups: dict[tuple[Any, ...], builtins.list[UUID]] = {}
        for query in queries:
            groups.setdefault((query.page, query.status, query.q), []).append(query.collection_id)
        pages: dict[tuple[Any, ...], Page[Document]] = {}
        for (page, status, q), collection_ids in groups.items():
            sample = DocumentQuery(collection_id=collection_ids[0], page=page, status=status, q=q)
            found = await self._pages_of(collection_ids, sample)
            pages.update({(page, status, q, cid): found[cid] for cid in collection_ids})
        return [pages[(query.page, query.status, query.q, query.collection_id)] for query in queries]

    async def _pages_of(self, collection_ids: builtins.list[UUID], query: DocumentQuery) -> dict[UUID, Page[Document]]:
        page = query.page
        ranked = _filtered(
            select(
                DocumentRow,
                func.row_number()
                .over(
                    partition_by=DocumentRow.collection_id,
                    order_by=order_by(page.sort, self._SORTABLE, DocumentRow.id),
                )
                .label("position"),
            ).where(DocumentRow.collection_id.in_(collection_ids)),
            query,
        ).subquery()
        document = aliased(DocumentRow, ranked)
        rows = await self._session.scalars(
            select(document)
            .where(ranked.c.position > page.offset, ranked.c.position <= page.offset + page.limit)
            .order_by(ranked.c.collection_id, ranked.c.position)
        )
        counted = await self._session.execute(
            _filtered(
                select(DocumentRow.collection_id, func.count()).where(DocumentRow.collection_id.in_(collection_ids)),
                query,
            ).group_by(DocumentRow.collection_id)
        )
        totals: dict[UUID, int] = {collection_id: int(count) for collection_id, count in counted}
        items: dict[UUID, builtins.list[Document]] = {collection_id: [] for collection_id in collection_ids}
        for row in rows:
            items[row.collection_id].append(document_of(row))
        return {cid: Page(items[cid], totals.get(cid, 0), page.limit, page.offset) for cid in collection_ids}


def _filtered(statement: Select[*_Ts], query: DocumentQuery) -> Select[*_Ts]:
    if query.status is not None:
        statement = statement.where(DocumentRow.status == query.status.value)
    if query.q:
        statement = statement.where(DocumentRow.title.ilike(contains_pattern(query.q), escape=LIKE_ESCAPE))
    return statement
