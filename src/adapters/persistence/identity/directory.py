"""The operator's reads of users and API keys on a bare asyncpg connection: no SQLAlchemy imported.

`lore users list` spent most of its start-up importing SQLAlchemy for two SELECTs; these adapters answer
the same read ports (UserDirectory, ApiKeyDirectory) as the SQLAlchemy repositories, with the same filters,
sort keys and order, so the use cases stay the ones the API runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import asyncpg
from opentelemetry import trace

from adapters.client_spans import leaf_client_span
from adapters.outages import is_database_outage, unavailable
from application.identity.ports import USER_SORTS, UserQuery
from application.shared.ports import Page
from domain.identity.models import ApiKey, User
from domain.identity.roles import Permission, Role

_USER_COLUMNS = "id, email, display_name, password_hash, role, is_active, email_verified_at, created_at, updated_at"
_KEY_COLUMNS = "id, user_id, name, prefix, secret_hash, scopes, created_at, expires_at, last_used_at, revoked_at"
# the LIKE escape of adapters.persistence.paging, spelled here so this module needs no SQLAlchemy
_ESCAPE = "\\"
_tracer = trace.get_tracer("lore.persistence.directory")


def plain_url(url: str) -> str:
    """asyncpg takes ``postgresql://``; settings may name the SQLAlchemy driver (``postgresql+asyncpg://``)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=parts.scheme.split("+", 1)[0]))


class Reader:
    """One asyncpg connection whose statements are Postgres client spans when the command is traced."""

    def __init__(self, connection: asyncpg.Connection, database: str) -> None:
        self._connection = connection
        self._database = database

    async def fetch(self, sql: str, *arguments: Any) -> list[asyncpg.Record]:
        with self._span(sql):
            rows: list[asyncpg.Record] = await self._connection.fetch(sql, *arguments)
            return rows

    async def fetchrow(self, sql: str, *arguments: Any) -> asyncpg.Record | None:
        with self._span(sql):
            return await self._connection.fetchrow(sql, *arguments)

    async def fetchval(self, sql: str, *arguments: Any) -> Any:
        with self._span(sql):
            return await self._connection.fetchval(sql, *arguments)

    @contextmanager
    def _span(self, sql: str) -> Iterator[None]:
        attributes = {"db.system": "postgresql", "db.name": self._database, "db.statement": sql}
        with leaf_client_span(_tracer, f"SELECT {self._database}", attributes):
            yield


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[Reader]:
    """One connection for a CLI command; a database that cannot be reached is DependencyUnavailableError."""
    try:
        connection = await asyncpg.connect(plain_url(url))
    except Exception as exc:
        if is_database_outage(exc):
            raise unavailable("database") from exc
        raise
    try:
        yield Reader(connection, urlsplit(url).path.lstrip("/"))
    finally:
        await connection.close()


def _contains(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _user(row: asyncpg.Record) -> User:
    return User(
        id=row["id"],
        email=row["email"],
        display_name=row["display_name"],
        password_hash=row["password_hash"],
        role=Role(row["role"]),
        is_active=row["is_active"],
        email_verified_at=row["email_verified_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _ordering(sort: str) -> str:
    """As adapters.persistence.paging.order_by: ``field`` or ``-field``, ties broken by id; unknown: newest id."""
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    if field not in USER_SORTS:  # the names are interpolated: only the known columns ever are
        return "id DESC"
    direction = "DESC" if descending else "ASC"
    return f"{field} {direction}, id {direction}"


class PgUserDirectory:
    def __init__(self, reader: Reader) -> None:
        self._reader = reader

    async def get_by_email(self, email: str) -> User | None:
        row = await self._reader.fetchrow(f"SELECT {_USER_COLUMNS} FROM users WHERE email = $1", email)  # noqa: S608
        return None if row is None else _user(row)

    async def list(self, query: UserQuery) -> Page[User]:
        conditions: list[str] = []
        arguments: list[Any] = []
        if query.role is not None:
            arguments.append(query.role.value)
            conditions.append(f"role = ${len(arguments)}")
        if query.is_active is not None:
            arguments.append(query.is_active)
            conditions.append(f"is_active = ${len(arguments)}")
        if query.q:
            arguments.append(_contains(query.q))
            n = len(arguments)
            conditions.append(f"(email ILIKE ${n} ESCAPE '{_ESCAPE}' OR display_name ILIKE ${n} ESCAPE '{_ESCAPE}')")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        page = query.page
        rows = await self._reader.fetch(
            f"SELECT {_USER_COLUMNS} FROM users{where} ORDER BY {_ordering(page.sort)}"  # noqa: S608 - no input in it
            f" LIMIT ${len(arguments) + 1} OFFSET ${len(arguments) + 2}",
            *arguments,
            page.limit,
            page.offset,
        )
        total = await self._reader.fetchval(f"SELECT count(*) FROM users{where}", *arguments)  # noqa: S608
        return Page([_user(row) for row in rows], int(total), page.limit, page.offset)


class PgApiKeyDirectory:
    def __init__(self, reader: Reader) -> None:
        self._reader = reader

    async def list_for_user(self, user_id: UUID) -> list[ApiKey]:
        rows = await self._reader.fetch(
            f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY created_at DESC",  # noqa: S608
            user_id,
        )
        return [
            ApiKey(
                id=row["id"],
                user_id=row["user_id"],
                name=row["name"],
                prefix=row["prefix"],
                secret_hash=row["secret_hash"],
                scopes=frozenset(Permission(scope) for scope in row["scopes"]),
                created_at=row["created_at"],
                expires_at=row["expires_at"],
                last_used_at=row["last_used_at"],
                revoked_at=row["revoked_at"],
            )
            for row in rows
        ]
