"""Ports of the event stream: record in the caller's transaction, hand committed events on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

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
