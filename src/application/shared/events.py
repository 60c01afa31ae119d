"""Ports of the event stream: record in the caller's transaction, hand committed events on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.shared.events import DomainEvent


class EventOutbox(Protocol):
    async def record(self, event: DomainEvent) -> None:
        """Store the event in the caller's unit of work: it exists exactly when the change commits."""
        ...


class EventSubscriber(Protocol):
    """Something the relay hands committed events to, in order of occurrence (webhook fan-out, live feed).

    Called inside the relay's unit of work, before the events are marked handed on: a subscriber that writes
    to Postgres commits with that mark (exactly once); one that writes elsewhere (Redis) is at least once,
    and recipients dedupe on the event id.
    """

    async def receive(self, events: Sequence[DomainEvent]) -> None: ...


class PendingEvents(Protocol):
    """The relay's side of the outbox: committed events not yet handed on."""

    async def due(self, limit: int) -> list[DomainEvent]:
        """The oldest events not handed on, locked so that concurrent relays take disjoint batches."""
        ...

    async def mark_handed_on(self, event_ids: Sequence[UUID], at: datetime) -> None: ...

    async def purge(self, handed_on_before: datetime) -> int:
        """Delete events handed on before this time; how many went."""
        ...


class LiveEventStream(Protocol):
    """The bounded, replayable feed of recent events every API process reads (the live-feed subscriber writes it).

    A position is opaque (a Redis stream id); reading ``after`` one gives the events appended since, in order.
    """

    async def latest(self) -> str:
        """The position of the newest event (or the stream's start): reading after it waits for new events."""
        ...

    async def position_of(self, event_id: UUID) -> str | None:
        """Where the event with this id sits in the feed; None when it is unknown or already trimmed away."""
        ...

    async def read(self, after: str, *, wait_seconds: float, limit: int) -> list[tuple[str, DomainEvent | None]]:
        """Events after ``after`` (waiting up to ``wait_seconds`` for the first), each with its position.

        An entry that cannot be read as an event (say, a type a newer release added) comes as None with its
        position, so that readers skip it and still move past it.
        """
        ...
