"""Writing and reading the audit trail."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application.identity.ports import AuditLog, AuditQuery
from application.shared.ports import Clock, IdGenerator, Page
from domain.identity.models import AuditAction, AuditEvent
from domain.identity.principal import Principal
from domain.identity.roles import Permission


class Auditor:
    """Appends events in the caller's transaction, so an action and its record commit together."""

    def __init__(self, log: AuditLog, ids: IdGenerator, clock: Clock) -> None:
        self._log = log
        self._ids = ids
        self._clock = clock

    async def record(
        self,
        action: AuditAction,
        *,
        actor_id: UUID | None = None,
        subject_id: UUID | None = None,
        ip_address: str | None = None,
        **details: Any,
    ) -> None:
        await self._log.record(
            AuditEvent(
                id=self._ids.new_id(),
                action=action,
                occurred_at=self._clock.now(),
                actor_id=actor_id,
                subject_id=subject_id,
                ip_address=ip_address,
                details=details,
            )
        )


class ListAuditEvents:
    """One page of the audit log, filtered by actor, action and time.

    A principal with ``audit:read`` (admins); raises PermissionDeniedError without it.
    """

    def __init__(self, log: AuditLog) -> None:
        self._log = log

    async def execute(self, principal: Principal, query: AuditQuery) -> Page[AuditEvent]:
        principal.require(Permission.AUDIT_READ)
        return await self._log.list(query)
