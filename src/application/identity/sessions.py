"""A user's own sign-in sessions."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.identity.audit import Auditor
from application.identity.ports import SessionRepository
from application.shared.ports import Clock, UnitOfWork
from domain.identity.models import AuditAction, AuthSession
from domain.identity.principal import Principal
from domain.shared.errors import NotFoundError


@dataclass(frozen=True, slots=True)
class SessionView:
    session: AuthSession
    current: bool


class ListSessions:
    """The caller's active sessions, the current one marked.

    A signed-in person (never an API key); raises InteractiveSessionRequiredError.
    """

    def __init__(self, sessions: SessionRepository, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def execute(self, principal: Principal) -> list[SessionView]:
        principal.require_interactive()
        active = await self._sessions.list_active(principal.user_id, self._clock.now())
        return [SessionView(session, session.id == principal.session_id) for session in active]


class RevokeSession:
    """Ends one of the caller's sessions.

    A signed-in person (never an API key); raises InteractiveSessionRequiredError, and NotFoundError for a
    session that is missing or someone else's.
    """

    def __init__(self, sessions: SessionRepository, auditor: Auditor, uow: UnitOfWork, clock: Clock) -> None:
        self._sessions = sessions
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def execute(self, principal: Principal, session_id: UUID) -> None:
        principal.require_interactive()
        session = await self._sessions.get(session_id)
        # someone else's session is reported as missing, not forbidden: ids are not confirmed
        if session is None or session.user_id != principal.user_id or not session.is_active(self._clock.now()):
            raise NotFoundError("No such session.")
        await self._sessions.revoke(session_id, self._clock.now(), "revoked_by_user")
        await self._auditor.record(
            AuditAction.SESSION_REVOKED,
            actor=principal,
            subject_id=principal.user_id,
            session_id=str(session_id),
        )
        await self._uow.commit()
