"""SQLAlchemy ingestion job repository (leased claims, backoff)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.knowledge.tables import (
    IngestionJobRow,
)
from adapters.trace_context import current_traceparent
from application.knowledge.ports import (
    IngestionJob,
    JobStatus,
)


def job_of(row: IngestionJobRow) -> IngestionJob:
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
        trace_context=row.traceparent,
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
                traceparent=job.trace_context or current_traceparent(),
            )
        )
        await self._session.flush()

    async def get(self, job_id: UUID) -> IngestionJob | None:
        row = await self._session.get(IngestionJobRow, job_id, populate_existing=True)
        return None if row is None else job_of(row)

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
        return [job_of(row) for row in rows]

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
        return None if row is None else job_of(row)

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
        return [job_of(row) for row in await self._session.scalars(statement)]

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
