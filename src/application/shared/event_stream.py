"""The one event stream: use cases emit events into the outbox; the relay hands committed ones to subscribers."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

from application.shared.events import EventOutbox, EventSubscriber, PendingEvents
from application.shared.ports import Clock, IdGenerator, UnitOfWork
from domain.shared.errors import DependencyUnavailableError
from domain.shared.events import Audience, DomainEvent, EventType

logger = logging.getLogger(__name__)

# a scheduled run hands on at most this many batches, so one run never holds the worker for long
MAX_BATCHES_PER_RUN = 20


class RelayEvents:
    """Hands committed events to the subscribers, oldest first, and marks them handed on in the same transaction.

    Batches are locked with SKIP LOCKED, so relays in several processes share the work without waiting on each
    other. A subscriber that raises rolls the batch back: it stays due and is handed on again later (to every
    subscriber; those outside Postgres are at least once). Called by the worker's schedule (``execute``) and right
    after a commit that emitted events (``try_now``, which never raises).
    """

    def __init__(
        self,
        pending: PendingEvents,
        subscribers: Sequence[EventSubscriber],
        uow: UnitOfWork,
        clock: Clock,
        batch_size: int = 100,
    ) -> None:
        self._pending = pending
        self._subscribers = tuple(subscribers)
        self._uow = uow
        self._clock = clock
        self._batch_size = batch_size

    async def execute(self) -> int:
        """Hand on every due event (up to MAX_BATCHES_PER_RUN batches); raises when a subscriber does."""
        total = 0
        for _ in range(MAX_BATCHES_PER_RUN):
            handed = await self._one_batch()
            total += handed
            if handed < self._batch_size:
                break
        return total

    async def _one_batch(self) -> int:
        try:
            events = await self._pending.due(self._batch_size)
            if events:
                for subscriber in self._subscribers:
                    await subscriber.receive(events)
                await self._pending.mark_handed_on([event.id for event in events], self._clock.now())
            await self._uow.commit()
        except BaseException:
            await self._uow.rollback()
            raise
        return len(events)

    async def try_now(self) -> None:
        """Best effort right after a commit; the worker's scheduled relay catches whatever this misses."""
        try:
            await self.execute()
        except DependencyUnavailableError as exc:  # an outage is expected here: one line, no traceback
            logger.warning("could not hand on events now; the worker will retry", extra=exc.details)
        except Exception:
            logger.warning("could not hand on events now; the worker will retry", exc_info=True)


class PurgeEvents:
    """Daily in the worker: the outbox keeps handed-on events ``retention_days`` (for inspection), then drops them."""

    def __init__(self, pending: PendingEvents, uow: UnitOfWork, clock: Clock, retention_days: int) -> None:
        self._pending = pending
        self._uow = uow
        self._clock = clock
        self._retention = timedelta(days=retention_days)

    async def execute(self) -> int:
        purged = await self._pending.purge(self._clock.now() - self._retention)
        await self._uow.commit()
        return purged


class EventEmitter:
    """What use cases emit events through: stamps id and time, records in the caller's unit of work.

    After its commit the use case calls ``hand_on`` so subscribers hear of the change at once rather than at the
    relay's next scheduled run.
    """

    def __init__(self, outbox: EventOutbox, ids: IdGenerator, clock: Clock, relay: RelayEvents | None = None) -> None:
        self._outbox = outbox
        self._ids = ids
        self._clock = clock
        self._relay = relay
        self._emitted = False

    async def emit(
        self,
        type_: EventType,
        *,
        subject: Mapping[str, object],
        data: Mapping[str, object] | None = None,
        audience: Audience,
    ) -> DomainEvent:
        event = self.build(type_, subject=subject, data=data, audience=audience)
        await self.record(event)
        return event

    def build(
        self,
        type_: EventType,
        *,
        subject: Mapping[str, object],
        data: Mapping[str, object] | None = None,
        audience: Audience,
    ) -> DomainEvent:
        """The event stamped with its id and time, for a write that records it in a transaction of its own."""
        self._emitted = True  # hand_on relays after that write (a no-op if it did not record it)
        return DomainEvent(
            id=self._ids.new_id(),
            type=type_,
            occurred_at=self._clock.now(),
            subject={key: str(value) for key, value in subject.items()},
            data=dict(data or {}),
            audience=audience,
        )

    async def record(self, event: DomainEvent) -> None:
        await self._outbox.record(event)
        self._emitted = True

    async def hand_on(self) -> None:
        """After the commit: relay what was emitted now (never raises; a no-op when nothing was emitted)."""
        if not self._emitted or self._relay is None:
            return
        self._emitted = False
        await self._relay.try_now()
