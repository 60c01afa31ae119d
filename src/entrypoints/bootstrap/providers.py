"""dishka providers: the one wiring shared by HTTP, CLI and worker."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide
from redis.asyncio import Redis
from saq.queue.base import Queue
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.clock import SystemClock
from adapters.ids import Uuid7Generator
from adapters.persistence.engine import create_engine, create_session_factory
from adapters.persistence.reads import ReadPool
from adapters.persistence.uow import SqlAlchemyUnitOfWork
from adapters.probes import PostgresProbe, RedisProbe
from adapters.queue.saq_queue import create_queue
from adapters.redis.client import create_redis
from adapters.redis.heartbeat import RedisHeartbeatStore
from application.platform.health import CheckReadiness
from application.platform.heartbeat import RecordHeartbeat
from application.shared.ports import Clock, HeartbeatStore, IdGenerator, UnitOfWork
from entrypoints.bootstrap.assistant import AssistantProvider
from entrypoints.bootstrap.closing import close_quietly
from entrypoints.bootstrap.identity import IdentityProvider
from entrypoints.bootstrap.knowledge import KnowledgeProvider
from entrypoints.bootstrap.settings import Settings


class SettingsProvider(Provider):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self._settings = settings

    @provide(scope=Scope.APP)
    def settings(self) -> Settings:
        return self._settings


class InfrastructureProvider(Provider):
    """APP-scoped pools and clients; REQUEST-scoped database session."""

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

    @provide(scope=Scope.APP)
    async def redis(self, settings: Settings) -> AsyncIterator[Redis]:
        client = create_redis(settings.require_redis_url)
        yield client
        await close_quietly("redis", client.aclose)

    clock = provide(SystemClock, provides=Clock, scope=Scope.APP)


class PlatformProvider(Provider):
    """Shared infrastructure every module uses: ids, the unit of work, the job queue, readiness, heartbeats."""

    ids = provide(Uuid7Generator, provides=IdGenerator, scope=Scope.APP)

    @provide(scope=Scope.REQUEST)
    def unit_of_work(self, session: AsyncSession) -> UnitOfWork:
        return SqlAlchemyUnitOfWork(session)

    @provide(scope=Scope.APP)
    async def job_queue(self, settings: Settings) -> AsyncIterator[Queue]:
        queue = create_queue(
            settings.require_redis_url, settings.worker_queue, job_heartbeat_seconds=settings.job_heartbeat_seconds
        )
        yield queue
        await close_quietly("job queue", queue.disconnect)

    @provide(scope=Scope.APP)
    def readiness(self, engine: AsyncEngine, redis: Redis) -> CheckReadiness:
        return CheckReadiness([PostgresProbe(engine), RedisProbe(redis)])

    @provide(scope=Scope.APP)
    def heartbeat_store(self, redis: Redis) -> HeartbeatStore:
        return RedisHeartbeatStore(redis)

    record_heartbeat = provide(RecordHeartbeat, scope=Scope.REQUEST)


def default_providers(settings: Settings) -> list[Provider]:
    return [
        SettingsProvider(settings),
        InfrastructureProvider(),
        PlatformProvider(),
        IdentityProvider(),
        KnowledgeProvider(),
        AssistantProvider(),
    ]
