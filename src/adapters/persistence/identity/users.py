"""SQLAlchemy user repository."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from adapters.persistence.identity.tables import (
    UserRow,
)
from adapters.persistence.paging import LIKE_ESCAPE, contains_pattern, fetch_page, order_by
from application.identity.ports import (
    USER_SORTS,
    UserQuery,
)
from application.shared.ports import Page
from domain.identity.errors import EmailTakenError
from domain.identity.models import User
from domain.identity.roles import Role


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


def _changeable(user: User) -> dict[str, Any]:
    """The columns ``save`` writes; ``add`` writes these and the ones fixed at creation."""
    return {
        "email": user.email,
        "display_name": user.display_name,
        "password_hash": user.password_hash,
        "role": user.role.value,
        "is_active": user.is_active,
        "email_verified_at": user.email_verified_at,
        "updated_at": user.updated_at,
    }


class SqlUserRepository:
    _SORTABLE: ClassVar[dict[str, InstrumentedAttribute[Any]]] = {name: getattr(UserRow, name) for name in USER_SORTS}

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, user: User) -> None:
        row = UserRow(id=user.id, created_at=user.created_at, **_changeable(user))
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
            .values(**_changeable(user))
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
