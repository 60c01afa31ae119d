"""dishka wiring of the event stream: the outbox, the relay and its subscribers, the live feed in Redis."""

from __future__ import annotations

from dishka import Provider, Scope, provide
from redis.asyncio import Redis

from adapters.persistence.events import SqlEventOutbox, SqlPendingEvents
from adapters.redis.live_events import RedisEventStream, RedisLiveFeed
from application.shared.event_stream import EventEmitter, PurgeEvents, RelayEvents
from application.shared.events import EventOutbox, EventSubscriber, LiveEventStream, PendingEvents
from application.shared.ports import Clock, IdGenerator, UnitOfWork
from application.webhooks.fanout import WebhookFanout
from entrypoints.bootstrap.settings import Settings


class EventsProvider(Provider):
    outbox = provide(SqlEventOutbox, provides=EventOutbox, scope=Scope.REQUEST)
    pending = provide(SqlPendingEvents, provides=PendingEvents, scope=Scope.REQUEST)

    @provide(scope=Scope.APP)
    def live_feed(self, redis: Redis, settings: Settings) -> RedisLiveFeed:
        return RedisLiveFeed(redis, settings.live_events_stream_length)

    @provide(scope=Scope.APP)
    def live_stream(self, redis: Redis) -> LiveEventStream:
        return RedisEventStream(redis)

    @provide(scope=Scope.REQUEST)
    def relay(
        self,
        pending: PendingEvents,
        uow: UnitOfWork,
        clock: Clock,
        settings: Settings,
        webhooks: WebhookFanout,
        live_feed: RedisLiveFeed,
    ) -> RelayEvents:
        # THE list of subscribers, in the order each batch is handed to them. Those writing to Postgres go
        # first (they commit with the "handed on" mark: exactly once); the live feed (Redis, at least once) last.
        subscribers: list[EventSubscriber] = [webhooks, live_feed]
        return RelayEvents(pending, subscribers, uow, clock, settings.events_relay_batch_size)

    @provide(scope=Scope.REQUEST)
    def emitter(self, outbox: EventOutbox, ids: IdGenerator, clock: Clock, relay: RelayEvents) -> EventEmitter:
        return EventEmitter(outbox, ids, clock, relay)

    @provide(scope=Scope.REQUEST)
    def purge(self, pending: PendingEvents, uow: UnitOfWork, clock: Clock, settings: Settings) -> PurgeEvents:
        return PurgeEvents(pending, uow, clock, settings.events_retention_days)
