"""Async SQLAlchemy engine on asyncpg."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Dialect, ExceptionContext, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext import asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from adapters.outages import is_database_outage, unavailable
from adapters.persistence.pool import MeteredPool

_DRIVER_ALIASES = ("postgres", "postgresql", "postgresql+asyncpg")


def to_asyncpg_url(url: str) -> str:
    """Accept the usual spellings of a Postgres URL and pin the asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername not in _DRIVER_ALIASES:
        raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}; use postgresql://")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False, pool_name: str = "postgres") -> AsyncEngine:
    # looked up at call time so OpenTelemetry's wrapper (installed at start-up) applies
    engine = sa_asyncio.create_async_engine(
        to_asyncpg_url(url),
        poolclass=MeteredPool,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,  # replaced by _ping_if_idle: asyncpg's ping is BEGIN, ";" and ROLLBACK per checkout
        echo=echo,
        # bound values (password hashes, emails, token digests) never appear in errors or echoed SQL
        hide_parameters=True,
    )
    pool = engine.sync_engine.pool
    if isinstance(pool, MeteredPool):  # it always is; the check tells the type checker
        pool.label(pool_name)
    event.listen(engine.sync_engine, "do_connect", _connect)
    event.listen(engine.sync_engine.pool, "checkin", _note_checkin)
    event.listen(engine.sync_engine.pool, "checkout", _ping_if_idle)
    event.listen(engine.sync_engine, "handle_error", _translate_outage)
    return engine


# A connection back in the pool within this many seconds served a query moments ago; one idle longer may have
# been cut (Postgres restarted, a proxy's idle timeout) and is pinged before use. A connection lost in between
# fails its request with 503 and the pool drops every connection made before, as a failed ping would.
IDLE_PING_SECONDS = 2.0


def _note_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    checked_in_at = record.info.get("checked_in_at")
    if checked_in_at is None or time.monotonic() - checked_in_at < IDLE_PING_SECONDS:
        return  # brand new, or in use a moment ago
    try:
        dbapi_connection.ping()
    except Exception as exc:
        raise DisconnectionError() from exc  # the pool replaces it with a new connection and tries again


def _connect(dialect: Dialect, _record: ConnectionPoolEntry, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> Any:
    """Postgres not answering a new connection (refused, no socket, starting up) is an outage, not a bug."""
    try:
        return dialect.connect(*cargs, **cparams)
    except Exception as exc:
        if is_database_outage(exc):
            raise unavailable("database") from exc
        raise


def _translate_outage(context: ExceptionContext) -> None:
    """A connection lost mid-statement becomes DependencyUnavailableError; SQL errors stay as they are.

    A failed pre-ping is left alone: the pool then replaces the connection, which is how it recovers.
    """
    if context.is_pre_ping:
        return
    if context.is_disconnect or is_database_outage(context.original_exception):
        raise unavailable("database") from context.original_exception


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
