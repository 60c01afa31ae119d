"""Async SQLAlchemy engine on asyncpg."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.ext import asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

_DRIVER_ALIASES = ("postgres", "postgresql", "postgresql+asyncpg")


def to_asyncpg_url(url: str) -> str:
    """Accept the usual spellings of a Postgres URL and pin the asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername not in _DRIVER_ALIASES:
        raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}; use postgresql://")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    # looked up at call time so OpenTelemetry's wrapper (installed at start-up) applies
    return sa_asyncio.create_async_engine(
        to_asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        echo=echo,
        # bound values (password hashes, emails, token digests) never appear in errors or echoed SQL
        hide_parameters=True,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
