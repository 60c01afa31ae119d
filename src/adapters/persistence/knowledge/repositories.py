"""SQLAlchemy implementations of the knowledge ports (search lives in search_index.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from adapters.persistence.knowledge.tables import (
    ChunkRow,
    CollectionMemberRow,
    CollectionRow,
    DocumentRow,
    DocumentSourceRow,
    IngestionJobRow,
)
from adapters.persistence.paging import LIKE_ESCAPE, contains_pattern, fetch_page, order_by
from application.knowledge.ports import (
    CollectionView,
    DocumentQuery,
    IngestionJob,
    JobStatus,
    NewChunk,
)
from application.shared.ports import Page, PageRequest
from domain.knowledge.errors import CollectionNameTakenError, DuplicateDocumentError
from domain.knowledge.models import (
    Chunk,
    Collection,
    CollectionRole,
    ContentType,
    Document,
    DocumentStatus,
    Membership,
)


def _user_or_none(user_id: UUID) -> UUID | None:
    """The CLI operator (the nil UUID) is nobody's user: stored as NULL."""
    return None if user_id.int == 0 else user_id


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
        "created_at": CollectionRow.created_at,
        "name": CollectionRow.name,
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
                        created_by=_user_or_none(collection.created_by),
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
        owner = _user_or_none(owner_id)
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

    async def count_owners(self, collection_id: UUID) -> int:
        count = await self._session.scalar(
            select(func.count()).where(
                CollectionMemberRow.collection_id == collection_id,
                CollectionMemberRow.role == CollectionRole.OWNER.value,
            )
        )
        return int(count or 0)


def _document(row: DocumentRow) -> Document:
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


class SqlDocumentRepository:
    _SORTABLE: ClassVar[dict[str, InstrumentedAttribute[Any]]] = {
        "created_at": DocumentRow.created_at,
        "updated_at": DocumentRow.updated_at,
        "title": DocumentRow.title,
        "size_bytes": DocumentRow.size_bytes,
        "status": DocumentRow.status,
    }

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, document: Document, source: bytes) -> None:
        try:
            async with self._session.begin_nested():
                self._session.add(
                    DocumentRow(
                        id=document.id,
                        collection_id=document.collection_id,
                        title=document.title,
                        content_type=document.content_type.value,
                        content_hash=document.content_hash,
                        size_bytes=document.size_bytes,
                        status=document.status.value,
                        doc_metadata=document.metadata,
                        chunk_count=document.chunk_count,
                        idempotency_key=document.idempotency_key,
                        created_by=_user_or_none(document.created_by),
                        created_at=document.created_at,
                        updated_at=document.updated_at,
                    )
                )
                await self._session.flush()
                self._session.add(DocumentSourceRow(document_id=document.id, data=source))
        except IntegrityError as exc:  # a concurrent upload of the same content won the race
            raise DuplicateDocumentError() from exc

    async def get(self, document_id: UUID) -> Document | None:
        row = await self._session.get(DocumentRow, document_id, populate_existing=True)
        return None if row is None else _document(row)

    async def source_of(self, document_id: UUID) -> bytes | None:
        return await self._session.scalar(
            select(DocumentSourceRow.data).where(DocumentSourceRow.document_id == document_id)
        )

    async def find_by_hash(self, collection_id: UUID, content_hash: str) -> Document | None:
        row = await self._session.scalar(
            select(DocumentRow).where(
                DocumentRow.collection_id == collection_id, DocumentRow.content_hash == content_hash
            )
        )
        return None if row is None else _document(row)

    async def find_by_idempotency_key(self, collection_id: UUID, created_by: UUID, key: str) -> Document | None:
        row = await self._session.scalar(
            select(DocumentRow).where(
                DocumentRow.collection_id == collection_id,
                DocumentRow.created_by == created_by,
                DocumentRow.idempotency_key == key,
            )
        )
        return None if row is None else _document(row)

    async def save(self, document: Document, source: bytes | None = None) -> None:
        await self._session.execute(
            update(DocumentRow)
            .where(DocumentRow.id == document.id)
            .values(
                title=document.title,
                content_type=document.content_type.value,
                content_hash=document.content_hash,
                size_bytes=document.size_bytes,
                status=document.status.value,
                doc_metadata=document.metadata,
                chunk_count=document.chunk_count,
                error_stage=document.error_stage,
                error_message=document.error_message,
                updated_at=document.updated_at,
            )
            .execution_options(synchronize_session=False)
        )
        if source is not None:
            await self._session.execute(
                update(DocumentSourceRow)
                .where(DocumentSourceRow.document_id == document.id)
                .values(data=source)
                .execution_options(synchronize_session=False)
            )

    async def delete(self, document_id: UUID) -> None:
        await self._session.execute(
            delete(DocumentRow).where(DocumentRow.id == document_id).execution_options(synchronize_session=False)
        )

    async def ids_in_collection(self, collection_id: UUID) -> list[UUID]:
        rows = await self._session.scalars(select(DocumentRow.id).where(DocumentRow.collection_id == collection_id))
        return list(rows)

    async def list(self, query: DocumentQuery) -> Page[Document]:
        statement = select(DocumentRow).where(DocumentRow.collection_id == query.collection_id)
        if query.status is not None:
            statement = statement.where(DocumentRow.status == query.status.value)
        if query.q:
            statement = statement.where(DocumentRow.title.ilike(contains_pattern(query.q), escape=LIKE_ESCAPE))
        rows, total = await fetch_page(
            self._session, statement, query.page, order_by(query.page.sort, self._SORTABLE, DocumentRow.id)
        )
        return Page([_document(row) for row in rows], total, query.page.limit, query.page.offset)


class SqlChunkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def replace(self, document: Document, chunks: Sequence[NewChunk], embedding_model: str | None) -> None:
        await self._session.execute(
            delete(ChunkRow).where(ChunkRow.document_id == document.id).execution_options(synchronize_session=False)
        )
        if not chunks:
            return
        await self._session.execute(
            insert(ChunkRow),
            [
                {
                    "document_id": document.id,
                    "collection_id": document.collection_id,
                    "ordinal": chunk.ordinal,
                    "text": chunk.text,
                    "start_offset": chunk.start,
                    "end_offset": chunk.end,
                    "token_count": chunk.token_count,
                    "embedding": list(chunk.embedding) if chunk.embedding is not None else None,
                    "embedding_dims": len(chunk.embedding) if chunk.embedding is not None else None,
                    "embedding_model": embedding_model if chunk.embedding is not None else None,
                }
                for chunk in chunks
            ],
        )

    async def list(self, document_id: UUID, page: PageRequest) -> Page[Chunk]:
        statement = select(ChunkRow).where(ChunkRow.document_id == document_id)
        rows, total = await fetch_page(
            self._session, statement, page, [ChunkRow.ordinal.desc() if page.sort.startswith("-") else ChunkRow.ordinal]
        )
        chunks = [
            Chunk(r.id, r.document_id, r.collection_id, r.ordinal, r.text, r.start_offset, r.end_offset, r.token_count)
            for r in rows
        ]
        return Page(chunks, total, page.limit, page.offset)


def _job(row: IngestionJobRow) -> IngestionJob:
    return IngestionJob(
        id=row.id,
        document_id=row.document_id,
        status=JobStatus(row.status),
        attempts=row.attempts,
        available_at=row.available_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        locked_until=row.locked_until,
        last_error=row.last_error,
    )


class SqlIngestionJobRepository:
    # an 'enqueued' job older than this lost its queue message (e.g. Redis restarted without persistence)
    LOST_MESSAGE_AFTER = timedelta(minutes=10)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, job: IngestionJob) -> None:
        self._session.add(
            IngestionJobRow(
                id=job.id,
                document_id=job.document_id,
                status=job.status.value,
                attempts=job.attempts,
                available_at=job.available_at,
                created_at=job.created_at,
                updated_at=job.updated_at,
            )
        )
        await self._session.flush()

    async def get(self, job_id: UUID) -> IngestionJob | None:
        row = await self._session.get(IngestionJobRow, job_id, populate_existing=True)
        return None if row is None else _job(row)

    async def due(self, now: datetime, limit: int) -> list[IngestionJob]:
        rows = await self._session.scalars(
            select(IngestionJobRow)
            .where(
                or_(
                    and_(IngestionJobRow.status == JobStatus.PENDING.value, IngestionJobRow.available_at <= now),
                    # a worker died holding the lease
                    and_(IngestionJobRow.status == JobStatus.RUNNING.value, IngestionJobRow.locked_until < now),
                    and_(
                        IngestionJobRow.status == JobStatus.ENQUEUED.value,
                        IngestionJobRow.updated_at < now - self.LOST_MESSAGE_AFTER,
                    ),
                )
            )
            .order_by(IngestionJobRow.available_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_job(row) for row in rows]

    async def mark_enqueued(self, job_ids: Sequence[UUID], now: datetime) -> None:
        await self._session.execute(
            update(IngestionJobRow)
            .where(IngestionJobRow.id.in_(job_ids), IngestionJobRow.status != JobStatus.DONE.value)
            .values(status=JobStatus.ENQUEUED.value, updated_at=now, locked_until=None)
            .execution_options(synchronize_session=False)
        )

    async def claim(self, job_id: UUID, now: datetime, lease_until: datetime) -> IngestionJob | None:
        row = await self._session.scalar(
            update(IngestionJobRow)
            .where(
                IngestionJobRow.id == job_id,
                or_(
                    IngestionJobRow.status.in_([JobStatus.PENDING.value, JobStatus.ENQUEUED.value]),
                    and_(IngestionJobRow.status == JobStatus.RUNNING.value, IngestionJobRow.locked_until < now),
                ),
            )
            .values(
                status=JobStatus.RUNNING.value,
                attempts=IngestionJobRow.attempts + 1,
                locked_until=lease_until,
                updated_at=now,
            )
            .returning(IngestionJobRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return None if row is None else _job(row)

    async def hold(self, job_id: UUID, attempt: int) -> bool:
        held = await self._session.scalar(
            select(IngestionJobRow.id)
            .where(
                IngestionJobRow.id == job_id,
                IngestionJobRow.attempts == attempt,
                # still running, or sent again by the relay once its lease ran out but not claimed since
                IngestionJobRow.status.in_([JobStatus.RUNNING.value, JobStatus.ENQUEUED.value]),
            )
            .with_for_update()
        )
        return held is not None

    async def _set(self, job_id: UUID, **values: Any) -> None:
        await self._session.execute(
            update(IngestionJobRow)
            .where(IngestionJobRow.id == job_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def finish(self, job_id: UUID, now: datetime) -> None:
        await self._set(job_id, status=JobStatus.DONE.value, locked_until=None, updated_at=now)

    async def reschedule(self, job_id: UUID, now: datetime, available_at: datetime, error: str) -> None:
        await self._set(
            job_id,
            status=JobStatus.PENDING.value,
            available_at=available_at,
            locked_until=None,
            last_error=error,
            updated_at=now,
        )

    async def fail(self, job_id: UUID, now: datetime, error: str) -> None:
        await self._set(job_id, status=JobStatus.FAILED.value, locked_until=None, last_error=error, updated_at=now)

    async def list(self, status: JobStatus | None, limit: int) -> list[IngestionJob]:
        statement = select(IngestionJobRow).order_by(IngestionJobRow.created_at.desc()).limit(limit)
        if status is not None:
            statement = statement.where(IngestionJobRow.status == status.value)
        return [_job(row) for row in await self._session.scalars(statement)]

    async def cancel_for_document(self, document_id: UUID, now: datetime) -> None:
        await self._session.execute(
            update(IngestionJobRow)
            .where(
                IngestionJobRow.document_id == document_id,
                IngestionJobRow.status.in_(
                    [JobStatus.PENDING.value, JobStatus.ENQUEUED.value, JobStatus.RUNNING.value]
                ),
            )
            .values(status=JobStatus.DONE.value, last_error="superseded by a newer version", updated_at=now)
            .execution_options(synchronize_session=False)
        )
