"""Async SQLAlchemy engine on asyncpg."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Dialect, ExceptionContext, make_url
from sqlalchemy.ext import asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from adapters.outages import is_database_outage, unavailable

_DRIVER_ALIASES = ("postgres", "postgresql", "postgresql+asyncpg")


def to_asyncpg_url(url: str) -> str:
    """Accept the usual spellings of a Postgres URL and pin the asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername not in _DRIVER_ALIASES:
        raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}; use postgresql://")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    # looked up at call time so OpenTelemetry's wrapper (installed at start-up) applies
    engine = sa_asyncio.create_async_engine(
        to_asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        echo=echo,
        # bound values (password hashes, emails, token digests) never appear in errors or echoed SQL
        hide_parameters=True,
    )
    event.listen(engine.sync_engine, "do_connect", _connect)
    event.listen(engine.sync_engine, "handle_error", _translate_outage)
    return engine


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
