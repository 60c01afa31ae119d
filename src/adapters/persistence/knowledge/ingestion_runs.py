"""The start of an ingestion run in one statement, whatever tables it spans (its outcome: ingestion_writes.py)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from adapters.persistence.knowledge.documents import document_of
from adapters.persistence.knowledge.ingestion_jobs import job_of
from adapters.persistence.knowledge.tables import DocumentRow, DocumentSourceRow, IngestionJobRow
from application.knowledge.ports import JobStatus, RunStart
from domain.knowledge.models import DocumentStatus

_JOBS: Table = IngestionJobRow.__table__  # type: ignore[assignment]  # a Table, typed as FromClause
_DOCUMENTS: Table = DocumentRow.__table__  # type: ignore[assignment]


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
            select(job, document, DocumentSourceRow.data)
            .select_from(job)
            .outerjoin(document, document.id == job.document_id)
            .outerjoin(DocumentSourceRow, DocumentSourceRow.document_id == job.document_id)
            .execution_options(populate_existing=True)
        )
        row = result.first()
        if row is None:
            return None
        return RunStart(job_of(row[0]), None if row[1] is None else document_of(row[1]), row[2] or b"")
