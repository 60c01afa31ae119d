"""The events outbox: events are rows written in the transaction of the change they describe."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CursorResult, Index, String, Uuid, delete, text, update
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from adapters.persistence.base import DateTimeUTC, UUIDv7Base
from adapters.trace_context import current_traceparent
from domain.shared.events import Audience, DomainEvent, EventType


class DomainEventRow(UUIDv7Base):
    __tablename__ = "domain_events"
    # the relay's query: only the few rows not handed on yet are in this index
    __table_args__ = (Index("ix_domain_events_due", "id", postgresql_where=text("handed_on_at IS NULL")),)

    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    subject: Mapped[dict[str, Any]] = mapped_column(JSONB)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # no foreign keys: an event outlives the collection or user it names (document.deleted, member.removed)
    audience_collection_id: Mapped[UUID | None] = mapped_column(Uuid())
    audience_user_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid()))
    # W3C traceparent of the request or job that emitted it (55 chars in version 00)
    traceparent: Mapped[str | None] = mapped_column(String(128))
    handed_on_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


def event_of(row: DomainEventRow) -> DomainEvent:
    return DomainEvent(
        id=row.id,
        type=EventType(row.type),
        occurred_at=row.occurred_at,
        subject=dict(row.subject),
        data=dict(row.data),
        audience=Audience(row.audience_collection_id, frozenset(row.audience_user_ids)),
    )


class SqlEventOutbox:
    """Adds the event to the caller's session: it commits (or rolls back) with the change."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, event: DomainEvent) -> None:
        self._session.add(
            DomainEventRow(
                id=event.id,
                type=event.type.value,
                occurred_at=event.occurred_at,
                subject=dict(event.subject),
                data=dict(event.data),
                audience_collection_id=event.audience.collection_id,
                audience_user_ids=sorted(event.audience.user_ids),
                traceparent=current_traceparent(),
            )
        )
        await self._session.flush()


class SqlPendingEvents:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def due(self, limit: int) -> list[DomainEvent]:
        rows = await self._session.scalars(
            sql_select(DomainEventRow)
            .where(DomainEventRow.handed_on_at.is_(None))
            .order_by(DomainEventRow.id)  # UUIDv7: the order they were emitted in
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [event_of(row) for row in rows]

    async def mark_handed_on(self, event_ids: Sequence[UUID], at: datetime) -> None:
        await self._session.execute(
            update(DomainEventRow)
            .where(DomainEventRow.id.in_(event_ids))
            .values(handed_on_at=at)
            .execution_options(synchronize_session=False)
        )

    async def purge(self, handed_on_before: datetime) -> int:
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            delete(DomainEventRow).where(DomainEventRow.handed_on_at < handed_on_before)
        )
        return int(result.rowcount or 0)
