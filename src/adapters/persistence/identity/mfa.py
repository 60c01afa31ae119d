"""SQLAlchemy repository of TOTP enrolments and recovery codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from adapters.persistence.identity.tables import MfaRecoveryCodeRow, UserMfaRow
from adapters.persistence.identity.writes import affected_rows
from domain.identity.mfa import MfaEnrolment


class SqlMfaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: UUID) -> MfaEnrolment | None:
        row = await self._session.scalar(select(UserMfaRow).where(UserMfaRow.user_id == user_id))
        if row is None:
            return None
        return MfaEnrolment(
            user_id=row.user_id,
            sealed_secret=row.sealed_secret,
            created_at=row.created_at,
            confirmed_at=row.confirmed_at,
            last_used_step=row.last_used_step,
        )

    async def save(self, enrolment: MfaEnrolment) -> None:
        values = {
            "sealed_secret": enrolment.sealed_secret,
            "created_at": enrolment.created_at,
            "confirmed_at": enrolment.confirmed_at,
            "last_used_step": enrolment.last_used_step,
        }
        statement = pg_insert(UserMfaRow).values(user_id=enrolment.user_id, **values)
        await self._session.execute(statement.on_conflict_do_update(index_elements=[UserMfaRow.user_id], set_=values))

    async def delete(self, user_id: UUID) -> bool:
        # the recovery codes go with it (ON DELETE CASCADE)
        return (
            await affected_rows(
                self._session, delete(UserMfaRow).where(UserMfaRow.user_id == user_id).returning(UserMfaRow.user_id)
            )
            > 0
        )

    async def claim_step(self, user_id: UUID, step: int) -> bool:
        claimed = await affected_rows(
            self._session,
            update(UserMfaRow)
            .where(
                UserMfaRow.user_id == user_id,
                or_(UserMfaRow.last_used_step.is_(None), UserMfaRow.last_used_step < step),
            )
            .values(last_used_step=step)
            .returning(UserMfaRow.user_id),
        )
        return claimed > 0

    async def replace_recovery_codes(self, user_id: UUID, code_hashes: Sequence[str], now: datetime) -> None:
        await self._session.execute(delete(MfaRecoveryCodeRow).where(MfaRecoveryCodeRow.user_id == user_id))
        await self._session.execute(
            insert(MfaRecoveryCodeRow),
            [{"id": uuid7(), "user_id": user_id, "code_hash": code, "created_at": now} for code in code_hashes],
        )

    async def use_recovery_code(self, user_id: UUID, code_hash: str, now: datetime) -> bool:
        used = await affected_rows(
            self._session,
            update(MfaRecoveryCodeRow)
            .where(
                MfaRecoveryCodeRow.user_id == user_id,
                MfaRecoveryCodeRow.code_hash == code_hash,
                MfaRecoveryCodeRow.used_at.is_(None),
            )
            .values(used_at=now)
            .returning(MfaRecoveryCodeRow.id),
        )
        return used > 0

    async def count_recovery_codes(self, user_id: UUID) -> int:
        count = await self._session.scalar(
            select(func.count())
            .select_from(MfaRecoveryCodeRow)
            .where(MfaRecoveryCodeRow.user_id == user_id, MfaRecoveryCodeRow.used_at.is_(None))
        )
        return int(count or 0)
