"""dishka providers: the one wiring shared by HTTP, CLI and worker."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide
from redis.asyncio import Redis
from saq.queue.base import Queue
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.probes import PostgresProbe, RedisProbe
from adapters.queue.health import SaqWorkerStatus
from adapters.queue.saq_queue import create_queue
from adapters.redis.client import create_redis
from adapters.redis.heartbeat import RedisHeartbeatStore
from application.platform.health import CheckReadiness
from application.platform.heartbeat import RecordHeartbeat
from application.platform.worker_status import GetWorkerStatus, WorkerStatusSource
from application.shared.ports import HeartbeatStore
from entrypoints.bootstrap.assistant import AssistantProvider
from entrypoints.bootstrap.closing import close_quietly
from entrypoints.bootstrap.database import DatabaseProvider
from entrypoints.bootstrap.events import EventsProvider
from entrypoints.bootstrap.identity import IdentityProvider
from entrypoints.bootstrap.identity_store import IdentityStoreProvider
from entrypoints.bootstrap.knowledge import KnowledgeProvider
from entrypoints.bootstrap.request_context import RequestContextProvider
from entrypoints.bootstrap.settings import Settings
from entrypoints.bootstrap.settings_provider import SettingsProvider
from entrypoints.bootstrap.signing_keys import SigningKeysProvider
from entrypoints.bootstrap.webhooks import WebhookProvider


class InfrastructureProvider(Provider):
    """APP-scoped Redis client (the database is DatabaseProvider's)."""

    @provide(scope=Scope.APP)
    async def redis(self, settings: Settings) -> AsyncIterator[Redis]:
        client = create_redis(settings.require_redis_url)
        yield client
        await close_quietly("redis", client.aclose)


class PlatformProvider(Provider):
    """Shared infrastructure every module uses: the job queue, readiness, heartbeats."""

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

    @provide(scope=Scope.APP)
    def worker_status_source(self, redis: Redis, settings: Settings) -> WorkerStatusSource:
        return SaqWorkerStatus(redis, [settings.worker_queue])

    worker_status = provide(GetWorkerStatus, scope=Scope.APP)


def default_providers(settings: Settings) -> list[Provider]:
    return [
        SettingsProvider(settings),
        DatabaseProvider(),
        InfrastructureProvider(),
        PlatformProvider(),
        RequestContextProvider(),
        IdentityStoreProvider(),
        IdentityProvider(),
        SigningKeysProvider(),
        KnowledgeProvider(),
        AssistantProvider(),
        WebhookProvider(),
        EventsProvider(),
    ]
