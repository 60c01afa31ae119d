"""SQLAlchemy audit log."""

from __future__ import annotations

from sqlalchemy import event as orm_event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from adapters.persistence.identity.audit_chain import append
from adapters.persistence.identity.tables import (
    AuditEventRow,
)
from adapters.persistence.paging import fetch_page, order_by
from application.identity.ports import (
    AUDIT_SORTS,
    AuditQuery,
)
from application.shared.ports import Page
from domain.identity.models import AuditAction, AuditEvent, AuditOutcome

_PENDING = "lore.audit_pending"


def _link_pending(session: Session) -> None:
    # a sync hook, run inside SQLAlchemy's greenlet, so the session's sync API reaches the database
    rows = session.info.pop(_PENDING, None)
    if rows:
        append(session, rows)


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


class SqlAuditLog:
    """Events wait in the session and join the hash chain at commit, whoever commits it."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, event: AuditEvent) -> None:
        row = AuditEventRow(
            id=event.id,
            action=event.action.value,
            occurred_at=event.occurred_at,
            actor_id=event.actor_id,
            subject_id=event.subject_id,
            ip_address=event.ip_address,
            details=event.details,
            actor_key_id=event.actor_key_id,
            request_id=event.request_id,
            target_type=event.target_type,
            target_id=event.target_id,
            outcome=event.outcome.value,
        )
        pending: list[AuditEventRow] = self._session.info.setdefault(_PENDING, [])
        pending.append(row)
        sync_session = self._session.sync_session
        if not orm_event.contains(sync_session, "before_commit", _link_pending):
            orm_event.listen(sync_session, "before_commit", _link_pending)
            orm_event.listen(sync_session, "after_rollback", _drop_pending)

    async def list(self, query: AuditQuery) -> Page[AuditEvent]:
        statement = select(AuditEventRow)
        if query.actor_id is not None:
            statement = statement.where(AuditEventRow.actor_id == query.actor_id)
        if query.action is not None:
            statement = statement.where(AuditEventRow.action == query.action.value)
        if query.since is not None:
            statement = statement.where(AuditEventRow.occurred_at >= query.since)
        if query.until is not None:
            statement = statement.where(AuditEventRow.occurred_at < query.until)
        sortable = {name: getattr(AuditEventRow, name) for name in AUDIT_SORTS}
        ordering = order_by(query.page.sort, sortable, AuditEventRow.id)
        rows, total = await fetch_page(self._session, statement, query.page, ordering)
        events = [
            AuditEvent(
                id=row.id,
                action=AuditAction(row.action),
                occurred_at=row.occurred_at,
                actor_id=row.actor_id,
                subject_id=row.subject_id,
                ip_address=row.ip_address,
                details=dict(row.details),
                actor_key_id=row.actor_key_id,
                request_id=row.request_id,
                target_type=row.target_type,
                target_id=row.target_id,
                outcome=AuditOutcome(row.outcome),
            )
            for row in rows
        ]
        return Page(events, total, query.page.limit, query.page.offset)
