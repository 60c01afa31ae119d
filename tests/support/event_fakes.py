"""In-memory fakes of the event stream's ports, sharing the knowledge fakes' transaction (KnowledgeTables)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from application.shared.event_stream import EventEmitter, RelayEvents
from domain.shared.events import DomainEvent, EventType
from tests.support.identity_fakes import MovableClock, SequentialIds
from tests.support.knowledge_fakes import KnowledgeTables


class InMemoryEventOutbox:
    def __init__(self, tables: KnowledgeTables) -> None:
        self._t = tables

    async def record(self, event: DomainEvent) -> None:
        self._t.events[event.id] = event


class InMemoryPendingEvents:
    def __init__(self, tables: KnowledgeTables) -> None:
        self._t = tables

    async def due(self, limit: int) -> list[DomainEvent]:
        waiting = [e for i, e in sorted(self._t.events.items()) if i not in self._t.handed_on]
        return waiting[:limit]

    async def mark_handed_on(self, event_ids: Sequence[UUID], at: datetime) -> None:
        for event_id in event_ids:
            self._t.handed_on[event_id] = at

    async def purge(self, handed_on_before: datetime) -> int:
        gone = [i for i, at in self._t.handed_on.items() if at < handed_on_before]
        for event_id in gone:
            del self._t.events[event_id], self._t.handed_on[event_id]
        return len(gone)


class RecordingSubscriber:
    def __init__(self, *, fail: bool = False) -> None:
        self.received: list[DomainEvent] = []
        self.fail = fail

    async def receive(self, events: Sequence[DomainEvent]) -> None:
        if self.fail:
            raise RuntimeError("subscriber down")
        self.received.extend(events)

    @property
    def types(self) -> list[EventType]:
        return [event.type for event in self.received]


def emitter_on(
    tables: KnowledgeTables,
    ids: SequentialIds,
    clock: MovableClock,
    *subscribers: RecordingSubscriber,
    batch_size: int = 100,
) -> tuple[EventEmitter, RelayEvents]:
    relay = RelayEvents(InMemoryPendingEvents(tables), subscribers, tables, clock, batch_size)
    return EventEmitter(InMemoryEventOutbox(tables), ids, clock, relay), relay
