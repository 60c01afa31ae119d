"""SQLAlchemy statements of an ingestion run: each step one round trip, whatever tables it spans."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Table, and_, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from adapters.persistence.knowledge.chunks import SWAP_TEMPLATE, swap_values
from adapters.persistence.knowledge.documents import document_of
from adapters.persistence.knowledge.ingestion_jobs import job_of
from adapters.persistence.knowledge.tables import DocumentRow, DocumentSourceRow, IngestionJobRow
from application.knowledge.ports import HeldRun, JobStatus, NewChunk, RunStart, StoredSource
from domain.knowledge.models import Document, DocumentStatus

_JOBS: Table = IngestionJobRow.__table__  # type: ignore[assignment]  # a Table, typed as FromClause
_DOCUMENTS: Table = DocumentRow.__table__  # type: ignore[assignment]

# the chunk swap with the document marked ready and the job done: the run's outcome is one statement. The
# updates are unreferenced data-modifying CTEs, run on the statement's snapshot like the DELETE.
_COMPLETE = text(
    SWAP_TEMPLATE.format(
        also=""",
    ready AS (
        UPDATE documents SET status = :ready, chunk_count = :chunk_count, error_stage = NULL, error_message = NULL,
            updated_at = :now
        WHERE id = :document_id
    ),
    done AS (UPDATE ingestion_jobs SET status = :done, locked_until = NULL, updated_at = :now WHERE id = :job_id)"""
    )
)


class SqlIngestionRuns:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def start(self, job_id: UUID, now: datetime, lease_until: datetime) -> RunStart | None:
        # the claim's rule is SqlIngestionJobRepository.claim's; the document is marked only if the job was claimed
        claimed = (
            update(_JOBS)
            .where(
                _JOBS.c.id == job_id,
                or_(
                    _JOBS.c.status.in_([JobStatus.PENDING.value, JobStatus.ENQUEUED.value]),
                    and_(_JOBS.c.status == JobStatus.RUNNING.value, _JOBS.c.locked_until < now),
                ),
            )
            .values(
                status=JobStatus.RUNNING.value,
                attempts=_JOBS.c.attempts + 1,
                locked_until=lease_until,
                updated_at=now,
            )
            .returning(*_JOBS.c)
            .cte("claimed")
        )
        marked = (
            update(_DOCUMENTS)
            .where(_DOCUMENTS.c.id.in_(select(claimed.c.document_id)))
            .values(status=DocumentStatus.PROCESSING.value, updated_at=now)
            .returning(*_DOCUMENTS.c)
            .cte("marked")
        )
        job = aliased(IngestionJobRow, claimed)
        document = aliased(DocumentRow, marked)
        result = await self._session.execute(
            select(job, document, DocumentSourceRow.blob_key, DocumentSourceRow.filename, DocumentSourceRow.data)
            .select_from(job)
            .outerjoin(document, document.id == job.document_id)
            .outerjoin(DocumentSourceRow, DocumentSourceRow.document_id == job.document_id)
            .execution_options(populate_existing=True)
        )
        row = result.first()
        if row is None:
            return None
        source = None if row[2] is None and row[4] is None else StoredSource(row[2], row[3], row[4])
        return RunStart(job_of(row[0]), None if row[1] is None else document_of(row[1]), source)

    async def hold(self, job_id: UUID, attempt: int) -> HeldRun | None:
        # the rule is SqlIngestionJobRepository.hold's; only the job is locked (as before, the document is read)
        row = (
            await self._session.execute(
                select(_JOBS.c.id, _DOCUMENTS.c.content_hash)
                .select_from(_JOBS.outerjoin(_DOCUMENTS, _DOCUMENTS.c.id == _JOBS.c.document_id))
                .where(
                    _JOBS.c.id == job_id,
                    _JOBS.c.attempts == attempt,
                    _JOBS.c.status.in_([JobStatus.RUNNING.value, JobStatus.ENQUEUED.value]),
                )
                .with_for_update(of=_JOBS)
            )
        ).first()
        return None if row is None else HeldRun(row[1])

    async def complete(
        self, job_id: UUID, document: Document, chunks: Sequence[NewChunk], embedding_model: str | None, now: datetime
    ) -> None:
        values = swap_values(document, chunks, embedding_model)
        values.update(
            job_id=job_id,
            now=now,
            chunk_count=len(chunks),
            ready=DocumentStatus.READY.value,
            done=JobStatus.DONE.value,
        )
        await self._session.execute(_COMPLETE, values)
