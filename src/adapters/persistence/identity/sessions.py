"""SQLAlchemy session repository."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.identity.tables import (
    AuthSessionRow,
    UserMfaRow,
    UserRow,
)
from adapters.persistence.identity.writes import affected_rows
from adapters.persistence.reads import ReadPool, Statement
from domain.identity.mfa import AMR_OTP
from domain.identity.models import AuthSession, User
from domain.identity.roles import Role

_SESSIONS = AuthSessionRow.__table__
_USERS = UserRow.__table__
_MFA = UserMfaRow.__table__
# built once, plain columns (no ORM loading): this runs on every request that carries an access token
_SESSION_WITH_USER = (
    select(
        *(c.label(f"s_{c.name}") for c in _SESSIONS.c),
        *(c.label(f"u_{c.name}") for c in _USERS.c),
        _MFA.c.confirmed_at.label("mfa_confirmed_at"),
    )
    .join_from(_SESSIONS, _USERS, _SESSIONS.c.user_id == _USERS.c.id)
    .outerjoin(_MFA, _MFA.c.user_id == _USERS.c.id)
    .where(_SESSIONS.c.id == bindparam("session_id"))
)
_SESSION_WITH_USER_SQL = Statement(_SESSION_WITH_USER)


def _session_model(row: AuthSessionRow) -> AuthSession:
    return AuthSession(
        id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        user_agent=row.user_agent,
        ip_address=row.ip_address,
        revoked_at=row.revoked_at,
        revoked_reason=row.revoked_reason,
        amr=tuple(row.amr),
        mfa_at=row.mfa_at,
    )


def _held(m: Mapping[str, Any]) -> tuple[AuthSession, User, bool]:
    session = AuthSession(
        id=m["s_id"],
        user_id=m["s_user_id"],
        created_at=m["s_created_at"],
        last_used_at=m["s_last_used_at"],
        expires_at=m["s_expires_at"],
        user_agent=m["s_user_agent"],
        ip_address=m["s_ip_address"],
        revoked_at=m["s_revoked_at"],
        revoked_reason=m["s_revoked_reason"],
        amr=tuple(m["s_amr"]),
        mfa_at=m["s_mfa_at"],
    )
    user = User(
        id=m["u_id"],
        email=m["u_email"],
        display_name=m["u_display_name"],
        password_hash=m["u_password_hash"],
        role=Role(m["u_role"]),
        is_active=m["u_is_active"],
        email_verified_at=m["u_email_verified_at"],
        created_at=m["u_created_at"],
        updated_at=m["u_updated_at"],
    )
    return session, user, m["mfa_confirmed_at"] is not None


class SqlSessionHolders:
    """Read in autocommit on the read pool: it runs before every request that carries an access token."""

    def __init__(self, reads: ReadPool) -> None:
        self._reads = reads

    async def get_with_user(self, session_id: UUID) -> tuple[AuthSession, User, bool] | None:
        row = await self._reads.fetchrow(_SESSION_WITH_USER_SQL, {"session_id": session_id})
        return None if row is None else _held(row)


class SqlSessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, session: AuthSession) -> None:
        self._session.add(
            AuthSessionRow(
                id=session.id,
                user_id=session.user_id,
                created_at=session.created_at,
                last_used_at=session.last_used_at,
                expires_at=session.expires_at,
                user_agent=session.user_agent,
                ip_address=session.ip_address,
                amr=list(session.amr),
                mfa_at=session.mfa_at,
            )
        )
        await self._session.flush()

    async def get(self, session_id: UUID) -> AuthSession | None:
        row = await self._session.get(AuthSessionRow, session_id, populate_existing=True)
        return None if row is None else _session_model(row)

    async def list_active(self, user_id: UUID, now: datetime) -> list[AuthSession]:
        rows = await self._session.scalars(
            select(AuthSessionRow)
            .where(
                AuthSessionRow.user_id == user_id,
                AuthSessionRow.revoked_at.is_(None),
                AuthSessionRow.expires_at > now,
            )
            .order_by(AuthSessionRow.last_used_at.desc())
        )
        return [_session_model(row) for row in rows]

    async def touch(self, session_id: UUID, now: datetime, expires_at: datetime) -> None:
        await self._session.execute(
            update(AuthSessionRow)
            .where(AuthSessionRow.id == session_id)
            .values(last_used_at=now, expires_at=expires_at)
            .execution_options(synchronize_session=False)
        )

    async def record_mfa(self, session_id: UUID, now: datetime) -> None:
        amr = AuthSessionRow.amr
        await self._session.execute(
            update(AuthSessionRow)
            .where(AuthSessionRow.id == session_id)
            .values(
                mfa_at=now,
                # "otp" joins once: appended unless it is there already
                amr=case((amr.contains([AMR_OTP]), amr), else_=func.array_append(amr, AMR_OTP)),
            )
            .execution_options(synchronize_session=False)
        )

    async def revoke(self, session_id: UUID, now: datetime, reason: str) -> bool:
        result = await self._session.execute(
            update(AuthSessionRow)
            .where(AuthSessionRow.id == session_id, AuthSessionRow.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
            .returning(AuthSessionRow.id)
            .execution_options(synchronize_session=False)
        )
        return result.first() is not None

    async def revoke_all(self, user_id: UUID, now: datetime, reason: str, *, keep: UUID | None = None) -> int:
        statement = update(AuthSessionRow).where(AuthSessionRow.user_id == user_id, AuthSessionRow.revoked_at.is_(None))
        if keep is not None:
            statement = statement.where(AuthSessionRow.id != keep)
        return await affected_rows(
            self._session, statement.values(revoked_at=now, revoked_reason=reason).returning(AuthSessionRow.id)
        )

    async def purge(self, ended_before: datetime) -> int:
        return await affected_rows(
            self._session,
            delete(AuthSessionRow)
            .where(or_(AuthSessionRow.expires_at < ended_before, AuthSessionRow.revoked_at < ended_before))
            .returning(AuthSessionRow.id),
        )
