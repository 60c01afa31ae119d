"""A plain asyncpg pool for the hot reads every request makes (the caller's session, the collections page).

They run in autocommit on prepared statements: no ORM session, no greenlet hop, no BEGIN/ROLLBACK around
one SELECT. Writes and everything transactional stay on the SQLAlchemy session. Each statement gets a
Postgres client span when the request is traced, and costs nothing extra when it is not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg
from opentelemetry import trace
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from adapters.client_spans import leaf_client_span
from adapters.metrics.platform import watch_pool
from adapters.outages import is_database_outage, unavailable

_T = TypeVar("_T")
_DIALECT = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]
_tracer = trace.get_tracer("lore.persistence.reads")


class Statement:
    """A SQLAlchemy Core statement compiled once to asyncpg's ``$n`` SQL, with its bound names in order."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=_DIALECT)
        assert isinstance(compiled, SQLCompiler)  # a SELECT always compiles to SQL
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self.operation = self.sql.split(None, 1)[0].upper()

    def arguments(self, values: dict[str, Any]) -> list[Any]:
        return [values[name] for name in self.names]


def driver_url(url: str) -> str:
    """asyncpg takes ``postgresql://``; settings may spell the SQLAlchemy driver in."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _no_reset(_connection: asyncpg.Connection) -> None:
    """Only read-only autocommit statements run here: nothing to undo between uses (saves a round trip)."""


def _connection_lost(exc: BaseException) -> bool:
    """Postgres ending a pooled connection while idle shows as a lost connection, or, when its goodbye
    arrives as the next statement starts, as asyncpg's protocol refusing to switch state."""
    return is_database_outage(exc) or isinstance(exc, asyncpg.InternalClientError)


READ_POOL = "postgres.reads"  # its name in the pool metrics


class ReadPool:
    def __init__(self, url: str, *, size: int) -> None:
        self._url = driver_url(url)
        self._size = size
        self._database = make_url(url).database or ""
        self._pool: asyncpg.Pool | None = None
        self.pending = 0  # acquisitions waiting for a connection, for the pool metrics
        watch_pool(self, READ_POOL)

    # the pool metrics' view (adapters.metrics.platform.Pool): asyncpg counts its connections itself
    def checkedout(self) -> int:
        return 0 if self._pool is None else self._pool.get_size() - self._pool.get_idle_size()

    def checkedin(self) -> int:
        return 0 if self._pool is None else self._pool.get_idle_size()

    async def _ready(self) -> asyncpg.Pool:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self._url, min_size=1, max_size=self._size, reset=_no_reset, max_inactive_connection_lifetime=60
            )
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def fetch(self, statement: Statement, values: dict[str, Any]) -> list[asyncpg.Record]:
        return await self._run(statement, values, lambda connection, sql, args: connection.fetch(sql, *args))

    async def fetchrow(self, statement: Statement, values: dict[str, Any]) -> asyncpg.Record | None:
        return await self._run(statement, values, lambda connection, sql, args: connection.fetchrow(sql, *args))

    async def _run(
        self,
        statement: Statement,
        values: dict[str, Any],
        call: Callable[[asyncpg.Connection, str, Sequence[Any]], Awaitable[_T]],
    ) -> _T:
        attributes = {"db.system": "postgresql", "db.name": self._database, "db.statement": statement.sql}
        with leaf_client_span(_tracer, f"{statement.operation} {self._database}", attributes):
            return await self._with_retry(statement, values, call)

    async def _with_retry(
        self,
        statement: Statement,
        values: dict[str, Any],
        call: Callable[[asyncpg.Connection, str, Sequence[Any]], Awaitable[_T]],
    ) -> _T:
        """A connection cut while idle (Postgres restarted, a proxy's timeout) fails once; a read is safe to retry."""
        arguments = statement.arguments(values)
        try:
            pool = await self._ready()
            async with self._acquired(pool) as connection:
                return await call(connection, statement.sql, arguments)
        except Exception as exc:
            if not _connection_lost(exc):
                raise
        try:
            pool = await self._ready()
            await pool.expire_connections()  # the others were made before the cut too
            async with self._acquired(pool) as connection:
                return await call(connection, statement.sql, arguments)
        except Exception as exc:
            if is_database_outage(exc):
                raise unavailable("database") from exc
            raise

    @asynccontextmanager
    async def _acquired(self, pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
        self.pending += 1
        try:
            connection = await pool.acquire()
        finally:
            self.pending -= 1
        try:
            yield connection
        finally:
            await pool.release(connection)
