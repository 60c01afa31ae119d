"""Housekeeping: ended sessions and spent tokens are kept for a while (reuse detection, audit), then deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from application.identity.ports import OneTimeTokenRepository, SessionRepository
from application.shared.ports import Clock, UnitOfWork

# long enough that a replayed refresh token of a recently ended session is still recognised as reuse
KEEP_ENDED_SESSIONS = timedelta(days=30)
KEEP_SPENT_TOKENS = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Purged:
    sessions: int
    one_time_tokens: int


class PurgeExpiredCredentials:
    """Deletes sessions and one-time tokens long past their end, and says how many went.

    Called by the worker's schedule and the operator's CLI (no principal); raises only when the database does.
    """

    def __init__(
        self, sessions: SessionRepository, tokens: OneTimeTokenRepository, uow: UnitOfWork, clock: Clock
    ) -> None:
        self._sessions = sessions
        self._tokens = tokens
        self._uow = uow
        self._clock = clock

    async def execute(self) -> Purged:
        now = self._clock.now()
        purged = Purged(
            sessions=await self._sessions.purge(now - KEEP_ENDED_SESSIONS),
            one_time_tokens=await self._tokens.purge(now - KEEP_SPENT_TOKENS),
        )
        await self._uow.commit()
        return purged
