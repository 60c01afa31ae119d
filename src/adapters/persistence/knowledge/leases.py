"""Lease renewals of running ingestion jobs, each in a short transaction of its own."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.persistence.knowledge.tables import IngestionJobRow
from application.knowledge.ports import JobStatus


class SqlIngestionLeases:
    # its own sessions: the run's session is busy with the run (and must not commit a renewal midway)
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def renew(self, job_id: UUID, attempt: int, now: datetime, until: datetime) -> bool:
        async with self._sessions() as session, session.begin():
            renewed = await session.scalar(
                update(IngestionJobRow)
                .where(
                    IngestionJobRow.id == job_id,
                    IngestionJobRow.attempts == attempt,
                    IngestionJobRow.status == JobStatus.RUNNING.value,
                    # a lapsed lease is not revived: whoever found it lapsed may have taken the job
                    IngestionJobRow.locked_until >= now,
                )
                .values(locked_until=until)
                .returning(IngestionJobRow.id)
                .execution_options(synchronize_session=False)
            )
        return renewed is not None
