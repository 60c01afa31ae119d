"""Writing, reading and verifying the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.identity.ports import AuditChain, AuditLog, AuditQuery, ChainReport
from application.shared.ports import Clock, IdGenerator, Page
from domain.identity.models import AuditAction, AuditEvent, AuditOutcome
from domain.identity.principal import Principal
from domain.identity.roles import Permission


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Where the action came from, supplied by the entrypoint (empty at the CLI and in the worker)."""

    client_address: str | None = None
    request_id: str | None = None


class Auditor:
    """Appends events in the caller's transaction, so an action and its record commit together."""

    def __init__(self, log: AuditLog, ids: IdGenerator, clock: Clock, context: AuditContext) -> None:
        self._log = log
        self._ids = ids
        self._clock = clock
        self._context = context

    async def record(
        self,
        action: AuditAction,
        *,
        actor: Principal | None = None,
        actor_id: UUID | None = None,
        subject_id: UUID | None = None,
        target: tuple[str, UUID] | None = None,
        outcome: AuditOutcome = AuditOutcome.SUCCESS,
        ip_address: str | None = None,
        **details: Any,
    ) -> None:
        """``actor`` names the user and the API key; ``target`` defaults to the subject user."""
        if target is None and subject_id is not None:
            target = ("user", subject_id)
        await self._log.record(
            AuditEvent(
                id=self._ids.new_id(),
                action=action,
                occurred_at=self._clock.now(),
                actor_id=actor.user_id if actor is not None else actor_id,
                subject_id=subject_id,
                ip_address=ip_address or self._context.client_address,
                details=details,
                actor_key_id=None if actor is None else actor.api_key_id,
                request_id=self._context.request_id,
                target_type=None if target is None else target[0],
                target_id=None if target is None else str(target[1]),
                outcome=outcome,
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


class VerifyAuditChain:
    """Walks the hash chain of the audit log and reports the first broken link (an edited or deleted row).

    The trusted operator at the CLI; raises nothing of its own.
    """

    def __init__(self, chain: AuditChain) -> None:
        self._chain = chain

    async def execute(self) -> ChainReport:
        return await self._chain.verify()
