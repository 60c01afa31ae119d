"""Ports of the webhook module: endpoints, deliveries, name resolution and the HTTP call."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.shared.ports import Page, PageRequest
from domain.shared.events import EventType
from domain.webhooks.models import AttemptOutcome, Delivery, DeliveryAttempt, WebhookEndpoint


class WebhookEndpoints(Protocol):
    async def add(self, endpoint: WebhookEndpoint) -> None: ...

    async def get(self, endpoint_id: UUID) -> WebhookEndpoint | None: ...

    async def save(self, endpoint: WebhookEndpoint) -> None: ...

    async def delete(self, endpoint_id: UUID) -> None: ...

    async def list(self, owner_id: UUID | None, page: PageRequest) -> Page[WebhookEndpoint]:
        """``owner_id`` None: every endpoint (admins)."""
        ...

    async def enabled_for(self, event_types: frozenset[EventType]) -> builtins.list[WebhookEndpoint]:
        """Enabled endpoints subscribed to at least one of ``event_types``."""
        ...


@dataclass(frozen=True, slots=True)
class Claim:
    delivery: Delivery  # already marked delivering, attempts counted, lease set
    lost: bool  # a worker held it before and its lease ran out (it died mid-delivery)


class WebhookDeliveries(Protocol):
    async def add_many(self, deliveries: Sequence[Delivery]) -> None:
        """Insert, skipping any (endpoint, event) pair already there: an event reaches an endpoint once."""
        ...

    async def get(self, delivery_id: UUID) -> Delivery | None: ...

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Claim]:
        """Due pending deliveries of enabled endpoints and expired claims, locked with SKIP LOCKED."""
        ...

    async def settle(self, delivery: Delivery, held_attempt: int) -> bool:
        """Save the outcome if the claim of ``held_attempt`` is still ours (no one re-claimed it since)."""
        ...

    async def requeue(self, delivery: Delivery, read_attempts: int) -> bool:
        """Save the requeued delivery unless a worker claimed it since it was read with ``read_attempts``
        (a claim counts an attempt, so the check holds even after the claim settled); False when one did."""
        ...

    async def fail_open(self, endpoint_id: UUID, now: datetime, reason: str) -> int:
        """Give up the endpoint's pending deliveries (it was disabled)."""
        ...

    async def record_attempt(self, attempt: DeliveryAttempt) -> None: ...

    async def list_for_endpoint(self, endpoint_id: UUID, page: PageRequest) -> Page[Delivery]: ...

    async def attempts_of(self, delivery_id: UUID) -> list[DeliveryAttempt]: ...


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL and the address to connect to (resolved once, so DNS cannot change it in between)."""

    url: str
    host: str
    address: str


class AddressResolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[str]:
        """The host's addresses; raises ``WebhookUrlRefusedError`` when it does not resolve."""
        ...


class WebhookSender(Protocol):
    async def post(self, target: Target, headers: dict[str, str], body: str) -> AttemptOutcome:
        """POST once: no redirects, short timeouts, at most a small prefix of the answer read. Never raises."""
        ...
