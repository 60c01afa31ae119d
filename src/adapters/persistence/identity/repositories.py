"""SQLAlchemy implementations of the identity ports."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from adapters.persistence.identity.tables import (
    ApiKeyRow,
    AuditEventRow,
    AuthSessionRow,
    OneTimeTokenRow,
    RefreshTokenRow,
    UserRow,
)
from adapters.persistence.paging import LIKE_ESCAPE, contains_pattern, fetch_page, order_by
from application.identity.ports import (
    AuditQuery,
    OneTimeToken,
    RefreshTokenRecord,
    SpendOutcome,
    SpendStatus,
    UserQuery,
)
from application.shared.ports import Page
from domain.identity.errors import EmailTakenError
from domain.identity.models import ApiKey, AuditAction, AuditEvent, AuthSession, TokenPurpose, User
from domain.identity.roles import Permission, Role


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        password_hash=row.password_hash,
        role=Role(row.role),
        is_active=row.is_active,
        email_verified_at=row.email_verified_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlUserRepository:
    _SORTABLE: ClassVar[dict[str, InstrumentedAttribute[Any]]] = {
        "created_at": UserRow.created_at,
        "email": UserRow.email,
        "display_name": UserRow.display_name,
        "role": UserRow.role,
    }

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, user: User) -> None:
        row = UserRow(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            password_hash=user.password_hash,
            role=user.role.value,
            is_active=user.is_active,
            email_verified_at=user.email_verified_at,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )
        try:
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError as exc:  # two registrations racing for one email
            raise EmailTakenError() from exc

    async def get(self, user_id: UUID) -> User | None:
        row = await self._session.get(UserRow, user_id, populate_existing=True)
        return None if row is None else _user(row)

    async def get_by_email(self, email: str) -> User | None:
        row = await self._session.scalar(select(UserRow).where(UserRow.email == email))
        return None if row is None else _user(row)

    async def save(self, user: User) -> None:
        await self._session.execute(
            update(UserRow)
            .where(UserRow.id == user.id)
            .values(
                email=user.email,
                display_name=user.display_name,
                password_hash=user.password_hash,
                role=user.role.value,
                is_active=user.is_active,
                email_verified_at=user.email_verified_at,
                updated_at=user.updated_at,
            )
            .execution_options(synchronize_session=False)
        )

    async def delete(self, user_id: UUID) -> None:
        await self._session.execute(
            delete(UserRow).where(UserRow.id == user_id).execution_options(synchronize_session=False)
        )

    async def list(self, query: UserQuery) -> Page[User]:
        statement = select(UserRow)
        if query.role is not None:
            statement = statement.where(UserRow.role == query.role.value)
        if query.is_active is not None:
            statement = statement.where(UserRow.is_active == query.is_active)
        if query.q:
            pattern = contains_pattern(query.q)
            statement = statement.where(
                or_(
                    UserRow.email.ilike(pattern, escape=LIKE_ESCAPE),
                    UserRow.display_name.ilike(pattern, escape=LIKE_ESCAPE),
                )
            )
        rows, total = await fetch_page(
            self._session, statement, query.page, order_by(query.page.sort, self._SORTABLE, UserRow.id)
        )
        return Page([_user(row) for row in rows], total, query.page.limit, query.page.offset)


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
    )


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
        return await _affected_rows(
            self._session, statement.values(revoked_at=now, revoked_reason=reason).returning(AuthSessionRow.id)
        )

    async def purge(self, ended_before: datetime) -> int:
        return await _affected_rows(
            self._session,
            delete(AuthSessionRow)
            .where(or_(AuthSessionRow.expires_at < ended_before, AuthSessionRow.revoked_at < ended_before))
            .returning(AuthSessionRow.id),
        )


async def _affected_rows(session: AsyncSession, statement: Any) -> int:
    """Rows an UPDATE/DELETE ... RETURNING touched."""
    return len((await session.execute(statement.execution_options(synchronize_session=False))).all())


class SqlRefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, token: RefreshTokenRecord) -> None:
        self._session.add(
            RefreshTokenRow(
                id=token.id,
                session_id=token.session_id,
                token_hash=token.token_hash,
                created_at=token.created_at,
                expires_at=token.expires_at,
            )
        )
        await self._session.flush()

    async def spend(self, token_hash: str, now: datetime) -> SpendOutcome:
        # a single conditional UPDATE: Postgres row locking makes exactly one concurrent caller win
        spent = (
            await self._session.execute(
                update(RefreshTokenRow)
                .where(RefreshTokenRow.token_hash == token_hash, RefreshTokenRow.used_at.is_(None))
                .values(used_at=now)
                .returning(RefreshTokenRow.session_id, RefreshTokenRow.expires_at)
                .execution_options(synchronize_session=False)
            )
        ).first()
        if spent is not None:
            owner, expires_at = spent
            return SpendOutcome(SpendStatus.SPENT if expires_at > now else SpendStatus.EXPIRED, owner)
        previous_owner = await self.session_of(token_hash)
        return SpendOutcome(SpendStatus.UNKNOWN if previous_owner is None else SpendStatus.REUSED, previous_owner)

    async def session_of(self, token_hash: str) -> UUID | None:
        return await self._session.scalar(
            select(RefreshTokenRow.session_id).where(RefreshTokenRow.token_hash == token_hash)
        )


class SqlOneTimeTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, token: OneTimeToken) -> None:
        self._session.add(
            OneTimeTokenRow(
                id=token.id,
                user_id=token.user_id,
                purpose=token.purpose.value,
                token_hash=token.token_hash,
                created_at=token.created_at,
                expires_at=token.expires_at,
            )
        )
        await self._session.flush()

    async def consume(self, purpose: TokenPurpose, token_hash: str, now: datetime) -> UUID | None:
        return await self._session.scalar(
            update(OneTimeTokenRow)
            .where(
                OneTimeTokenRow.token_hash == token_hash,
                OneTimeTokenRow.purpose == purpose.value,
                OneTimeTokenRow.used_at.is_(None),
                OneTimeTokenRow.expires_at > now,
            )
            .values(used_at=now)
            .returning(OneTimeTokenRow.user_id)
            .execution_options(synchronize_session=False)
        )

    async def discard_all(self, user_id: UUID, purpose: TokenPurpose, now: datetime) -> None:
        await self._session.execute(
            update(OneTimeTokenRow)
            .where(
                OneTimeTokenRow.user_id == user_id,
                OneTimeTokenRow.purpose == purpose.value,
                OneTimeTokenRow.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )

    async def purge(self, expired_before: datetime) -> int:
        return await _affected_rows(
            self._session,
            delete(OneTimeTokenRow)
            .where(or_(OneTimeTokenRow.expires_at < expired_before, OneTimeTokenRow.used_at < expired_before))
            .returning(OneTimeTokenRow.id),
        )


def _api_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        secret_hash=row.secret_hash,
        scopes=frozenset(Permission(scope) for scope in row.scopes),
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class SqlApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, key: ApiKey) -> None:
        self._session.add(
            ApiKeyRow(
                id=key.id,
                user_id=key.user_id,
                name=key.name,
                prefix=key.prefix,
                secret_hash=key.secret_hash,
                scopes=sorted(scope.value for scope in key.scopes),
                created_at=key.created_at,
                expires_at=key.expires_at,
            )
        )
        await self._session.flush()

    async def get(self, key_id: UUID) -> ApiKey | None:
        row = await self._session.get(ApiKeyRow, key_id, populate_existing=True)
        return None if row is None else _api_key(row)

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        row = await self._session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
        return None if row is None else _api_key(row)

    async def list_for_user(self, user_id: UUID) -> list[ApiKey]:
        rows = await self._session.scalars(
            select(ApiKeyRow).where(ApiKeyRow.user_id == user_id).order_by(ApiKeyRow.created_at.desc())
        )
        return [_api_key(row) for row in rows]

    async def revoke(self, key_id: UUID, now: datetime) -> bool:
        result = await self._session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(ApiKeyRow.id)
            .execution_options(synchronize_session=False)
        )
        return result.first() is not None

    async def revoke_all(self, user_id: UUID, now: datetime) -> int:
        return await _affected_rows(
            self._session,
            update(ApiKeyRow)
            .where(ApiKeyRow.user_id == user_id, ApiKeyRow.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(ApiKeyRow.id),
        )

    async def touch(self, key_id: UUID, now: datetime) -> None:
        await self._session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.id == key_id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )


class SqlAuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, event: AuditEvent) -> None:
        self._session.add(
            AuditEventRow(
                id=event.id,
                action=event.action.value,
                occurred_at=event.occurred_at,
                actor_id=event.actor_id,
                subject_id=event.subject_id,
                ip_address=event.ip_address,
                details=event.details,
            )
        )
        await self._session.flush()

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
        sortable: dict[str, InstrumentedAttribute[Any]] = {"occurred_at": AuditEventRow.occurred_at}
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
            )
            for row in rows
        ]
        return Page(events, total, query.page.limit, query.page.offset)
