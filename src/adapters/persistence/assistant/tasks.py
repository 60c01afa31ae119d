from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, String, Text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from adapters.persistence.base import DateTimeUTC, UUIDv7Base
from application.assistant.summaries import SummaryTask, SummaryTaskStatus


class BackgroundTaskRow(UUIDv7Base):
    __tablename__ = "background_tasks"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[UUID] = mapped_column()
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class SqlSummaryTaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, task: SummaryTask) -> None:
        self._session.add(
            BackgroundTaskRow(
                id=task.id,
                user_id=task.user_id,
                kind=task.kind,
                subject_id=task.subject_id,
                status=task.status.value,
                result=task.result,
                error=task.error,
                created_at=task.created_at,
                updated_at=task.updated_at,
            )
        )
        await self._session.flush()

    async def get(self, task_id: UUID) -> SummaryTask | None:
        row = await self._session.get(BackgroundTaskRow, task_id, populate_existing=True)
        if row is None:
            return None
        return SummaryTask(
            id=row.id,
            user_id=row.user_id,
            kind=row.kind,
            subject_id=row.subject_id,
            status=SummaryTaskStatus(row.status),
            created_at=row.created_at,
            updated_at=row.updated_at,
            result=dict(row.result or {}),
            error=row.error,
        )

    async def update(self, task: SummaryTask) -> None:
        await self._session.execute(
            update(BackgroundTaskRow)
            .where(BackgroundTaskRow.id == task.id)
            .values(status=task.status.value, result=task.result, error=task.error, updated_at=task.updated_at)
            .execution_options(synchronize_session=False)
        )
