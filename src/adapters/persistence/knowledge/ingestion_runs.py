"""The starts of ingestion runs: one statement in one transaction for any number of jobs, whatever tables it
spans (their outcomes: ingestion_writes.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from adapters.persistence.knowledge.documents import document_of
from adapters.persistence.knowledge.ingestion_jobs import job_of
from adapters.persistence.knowledge.tables import DocumentRow, DocumentSourceRow, IngestionJobRow
from application.knowledge.ports import JobStatus, RunStart, StartedRuns, StoredSource
from domain.knowledge.models import DocumentStatus

_JOBS: Table = IngestionJobRow.__table__  # type: ignore[assignment]  # a Table, typed as FromClause
_DOCUMENTS: Table = DocumentRow.__table__  # type: ignore[assignment]


class SqlIngestionRuns:
    # its own sessions: each call is a transaction of its own, whichever jobs it starts
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def start(self, job_ids: Sequence[UUID], now: datetime, lease_until: datetime, *, wait: bool) -> StartedRuns:
        # the jobs locked first (in id order: two starts of overlapping sets cannot deadlock); without ``wait``
        # a job another transaction holds is skipped, so it does not hold up the others, and reported busy
        locked = (
            select(_JOBS.c.id)
            .where(_JOBS.c.id.in_(job_ids))
            .order_by(_JOBS.c.id)
            .with_for_update(skip_locked=not wait)
            .cte("locked")
        )
        # the claim's rule is SqlIngestionJobRepository.claim's; a document is marked only if its job was claimed
        claimed = (
            update(_JOBS)
            .where(
                _JOBS.c.id.in_(select(locked.c.id)),
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
        async with self._sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(
                        locked.c.id,
                        job,
                        document,
                        DocumentSourceRow.blob_key,
                        DocumentSourceRow.filename,
                        DocumentSourceRow.data,
                    )
                    .select_from(locked)
                    .outerjoin(job, job.id == locked.c.id)
                    .outerjoin(document, document.id == job.document_id)
                    .outerjoin(DocumentSourceRow, DocumentSourceRow.document_id == job.document_id)
                )
            ).all()
        started = {
            row[0]: RunStart(
                job_of(row[1]), None if row[2] is None else document_of(row[2]), _source(row[3], row[4], row[5])
            )
            for row in rows
            if row[1] is not None
        }
        busy = frozenset(job_ids) - {row[0] for row in rows}
        return StartedRuns(started, busy)


def _source(blob_key: str | None, filename: str | None, data: bytes | None) -> StoredSource | None:
    """The original in the blob store, or (not yet migrated) in the database; None when there is none."""
    return None if blob_key is None and data is None else StoredSource(blob_key, filename, data)
