"""dishka wiring of the database, the clock and ids: all an operator command on users and keys needs.

Kept apart from the Redis and queue providers (providers.py) so the lean CLI container
(operator_container.py) imports neither redis nor saq.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.clock import SystemClock
from adapters.ids import Uuid7Generator
from adapters.persistence.engine import create_engine, create_session_factory
from adapters.persistence.reads import ReadPool
from adapters.persistence.uow import SqlAlchemyUnitOfWork
from application.shared.ports import Clock, IdGenerator, UnitOfWork
from entrypoints.bootstrap.closing import close_quietly
from entrypoints.bootstrap.settings import Settings


class DatabaseProvider(Provider):
    """The APP-scoped engine, a REQUEST-scoped session and unit of work; the clock and ids."""

    @provide(scope=Scope.APP)
    async def engine(self, settings: Settings) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(settings.require_database_url, pool_size=settings.database_pool_size)
        yield engine
        await engine.dispose()

    @provide(scope=Scope.APP)
    async def read_pool(self, settings: Settings) -> AsyncIterator[ReadPool]:
        """Connects on first use: a CLI command or a worker job that never reads through it opens nothing."""
        reads = ReadPool(settings.require_database_url, size=settings.database_pool_size)
        yield reads
        await close_quietly("read pool", reads.close)

    @provide(scope=Scope.APP)
    def session_factory(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return create_session_factory(engine)

    @provide(scope=Scope.REQUEST)
    async def session(self, factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
        session = factory()
        try:
            yield session
        finally:
            # a session that never began a transaction holds no connection: closing it would cost a greenlet hop
            if session.in_transaction():
                await session.close()

    @provide(scope=Scope.REQUEST)
    def unit_of_work(self, session: AsyncSession) -> UnitOfWork:
        return SqlAlchemyUnitOfWork(session)

    clock = provide(SystemClock, provides=Clock, scope=Scope.APP)
    ids = provide(Uuid7Generator, provides=IdGenerator, scope=Scope.APP)
