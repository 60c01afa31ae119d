"""Delivery and fan-out with in-memory fakes: the edges the HTTP tests do not reach."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

import pytest

from application.identity.audit import AuditContext, Auditor
from application.identity.policy import IdentityPolicy
from application.shared.events import EventSubscriber
from application.shared.ports import Page, PageRequest
from application.webhooks.delivery import DeliverWebhook
from application.webhooks.endpoints import Redeliver
from application.webhooks.fanout import WebhookFanout
from application.webhooks.policy import WebhookPolicy
from application.webhooks.ports import Claim, Target
from application.webhooks.targets import WebhookTargets
from domain.identity.models import User
from domain.identity.principal import Principal
from domain.identity.roles import Role
from domain.shared.events import Audience, DomainEvent, EventType
from domain.webhooks.errors import DeliveryInFlightError, WebhookUrlRefusedError
from domain.webhooks.models import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    SigningSecrets,
    WebhookEndpoint,
)
from tests.support.identity_fakes import (
    CapturingOutbox,
    FakeUnitOfWork,
    InMemoryAuditLog,
    InMemoryMfa,
    InMemoryUsers,
    MovableClock,
    SequentialIds,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)
OWNER = UUID(int=100)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Endpoints:
    def __init__(self, *endpoints: WebhookEndpoint) -> None:
        self.rows = {endpoint.id: endpoint for endpoint in endpoints}

    async def add(self, endpoint: WebhookEndpoint) -> None:
        self.rows[endpoint.id] = endpoint

    async def get(self, endpoint_id: UUID) -> WebhookEndpoint | None:
        return self.rows.get(endpoint_id)

    async def save(self, endpoint: WebhookEndpoint) -> None:
        self.rows[endpoint.id] = endpoint

    async def delete(self, endpoint_id: UUID) -> None:
        self.rows.pop(endpoint_id, None)

    async def list(self, owner_id: UUID | None, page: PageRequest) -> Page[WebhookEndpoint]:
        return Page(list(self.rows.values()))

    async def enabled_for(self, event_types: frozenset[EventType]) -> builtins.list[WebhookEndpoint]:
        return [e for e in self.rows.values() if e.enabled and e.event_types & event_types]


class Deliveries:
    def __init__(self, *, settles: bool = True) -> None:
        self.rows: dict[UUID, Delivery] = {}
        self.attempts: list[DeliveryAttempt] = []
        self.settles = settles

    async def add_many(self, deliveries: Sequence[Delivery]) -> None:
        self.rows.update({delivery.id: delivery for delivery in deliveries})

    async def get(self, delivery_id: UUID) -> Delivery | None:
        return self.rows.get(delivery_id)

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Claim]:
        return []

    async def settle(self, delivery: Delivery, held_attempt: int) -> bool:
        if self.settles:
            self.rows[delivery.id] = delivery
        return self.settles

    async def requeue(self, delivery: Delivery, read_attempts: int) -> bool:
        current = self.rows.get(delivery.id)
        if current is None or current.status is DeliveryStatus.DELIVERING or current.attempts != read_attempts:
            return False
        self.rows[delivery.id] = delivery
        return True

    async def fail_open(self, endpoint_id: UUID, now: datetime, reason: str) -> int:
        return 0

    async def record_attempt(self, attempt: DeliveryAttempt) -> None:
        self.attempts.append(attempt)

    async def list_for_endpoint(self, endpoint_id: UUID, page: PageRequest) -> Page[Delivery]:
        return Page(list(self.rows.values()))

    async def attempts_of(self, delivery_id: UUID) -> list[DeliveryAttempt]:
        return self.attempts


class Resolver:
    def __init__(self, *addresses: str) -> None:
        self.addresses = list(addresses)

    async def resolve(self, host: str, port: int) -> list[str]:
        if not self.addresses:
            raise WebhookUrlRefusedError("The URL's host does not resolve.", details={"reason": "unresolvable"})
        return self.addresses


class Sender:
    def __init__(self, status: int) -> None:
        self.status = status
        self.sent: list[Target] = []

    async def post(self, target: Target, headers: dict[str, str], body: str) -> AttemptOutcome:
        self.sent.append(target)
        return AttemptOutcome(status_code=self.status, latency_ms=3)


def endpoint(**changes: object) -> WebhookEndpoint:
    base = WebhookEndpoint(
        id=UUID(int=1),
        owner_id=OWNER,
        url="https://hooks.example.org/lore",
        description="",
        event_types=frozenset({EventType.DOCUMENT_READY}),
        secrets=SigningSecrets(SECRET),
        enabled=True,
        created_at=NOW,
        updated_at=NOW,
        reads_documents=True,
        uses_assistant=True,
    )
    return base.with_changes(**changes)


def delivery(**changes: object) -> Delivery:
    base = Delivery(
        id=UUID(int=2),
        endpoint_id=UUID(int=1),
        event_id=UUID(int=3),
        event_type=EventType.DOCUMENT_READY,
        payload="{}",
        status=DeliveryStatus.DELIVERING,
        attempts=1,
        failures=0,
        next_attempt_at=NOW,
        created_at=NOW,
        updated_at=NOW,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def owner(*, role: Role = Role.MEMBER, active: bool = True) -> User:
    return User(OWNER, "owner@example.org", "Owner", "x", role, active, NOW, NOW, NOW)


def deliver(
    endpoints: Endpoints,
    deliveries: Deliveries,
    sender: Sender,
    *,
    resolver: Resolver | None = None,
    outbox: CapturingOutbox | None = None,
    audit: InMemoryAuditLog | None = None,
    schedule: tuple[float, ...] = (5.0,),
) -> DeliverWebhook:
    users = InMemoryUsers()
    users.rows[OWNER] = owner()
    clock, ids = MovableClock(NOW), SequentialIds()
    return DeliverWebhook(
        endpoints,
        deliveries,
        WebhookTargets(resolver or Resolver("8.8.8.8"), frozenset()),
        sender,
        users,
        outbox or CapturingOutbox(),
        Auditor(audit or InMemoryAuditLog(), ids, clock, AuditContext()),
        FakeUnitOfWork(),
        ids,
        clock,
        WebhookPolicy(retry_schedule=schedule),
        unit_random=lambda: 0.5,
    )


async def test_a_delivery_of_an_endpoint_deleted_meanwhile_is_dropped_unsent() -> None:
    sender = Sender(200)
    assert await deliver(Endpoints(), Deliveries(), sender).execute(delivery()) is DeliveryStatus.FAILED
    assert sender.sent == []


async def test_an_attempt_whose_claim_was_taken_over_is_logged_but_settles_nothing() -> None:
    deliveries = Deliveries(settles=False)
    status = await deliver(Endpoints(endpoint()), deliveries, Sender(200)).execute(delivery())
    assert status is DeliveryStatus.DELIVERING
    assert [(a.attempt, a.status_code) for a in deliveries.attempts] == [(1, 200)]


async def test_a_name_that_stops_resolving_fails_the_attempt_without_a_request() -> None:
    deliveries, sender = Deliveries(), Sender(200)
    status = await deliver(Endpoints(endpoint()), deliveries, sender, resolver=Resolver()).execute(delivery())
    assert status is DeliveryStatus.PENDING  # retried after the schedule's first delay
    assert sender.sent == []
    assert deliveries.attempts[0].error == "WEBHOOK_URL_REFUSED: The URL's host does not resolve."
    assert deliveries.rows[UUID(int=2)].next_attempt_at > NOW


async def test_the_endpoint_is_disabled_even_when_the_owners_mail_cannot_be_queued() -> None:
    endpoints, audit = Endpoints(endpoint()), InMemoryAuditLog()
    use_case = deliver(
        endpoints, Deliveries(), Sender(500), outbox=CapturingOutbox(fail=True), audit=audit, schedule=(5.0,)
    )
    assert await use_case.execute(delivery(failures=1, attempts=2)) is DeliveryStatus.FAILED
    assert endpoints.rows[UUID(int=1)].enabled is False
    assert audit.actions() == ["webhook.disabled"]


async def test_the_fan_out_skips_inactive_owners_and_events_their_owner_is_not_told() -> None:
    endpoints, deliveries, users = Endpoints(endpoint()), Deliveries(), InMemoryUsers()

    class NoCollections:
        async def readable(
            self, user_id: UUID, collection_ids: frozenset[UUID], *, all_collections: bool
        ) -> frozenset[UUID]:
            return frozenset()

    fanout: EventSubscriber = WebhookFanout(  # what the relay hands committed events to
        endpoints,
        deliveries,
        users,
        NoCollections(),
        InMemoryMfa(),
        IdentityPolicy(),
        SequentialIds(),
        MovableClock(NOW),
    )

    def ready(audience: Audience) -> DomainEvent:
        return DomainEvent(UUID(int=9), EventType.DOCUMENT_READY, NOW, {}, {}, audience)

    await fanout.receive([])
    users.rows[OWNER] = owner(active=False)
    await fanout.receive([ready(Audience(user_ids=frozenset({OWNER})))])
    users.rows[OWNER] = owner()
    fanout = WebhookFanout(
        endpoints,
        deliveries,
        users,
        NoCollections(),
        InMemoryMfa(),
        IdentityPolicy(),
        SequentialIds(),
        MovableClock(NOW),
    )
    await fanout.receive([ready(Audience(collection_id=UUID(int=50)))])  # a collection the owner cannot read
    assert deliveries.rows == {}
    await fanout.receive([ready(Audience(user_ids=frozenset({OWNER})))])
    assert [d.event_id for d in deliveries.rows.values()] == [UUID(int=9)]


class ClaimedAfterRead(Deliveries):
    """A worker claims the delivery just after the redelivery read it."""

    async def get(self, delivery_id: UUID) -> Delivery | None:
        read = self.rows.get(delivery_id)
        if read is not None:
            self.rows[delivery_id] = replace(read, status=DeliveryStatus.DELIVERING, attempts=read.attempts + 1)
        return read


def redeliver(deliveries: Deliveries, uow: FakeUnitOfWork) -> Redeliver:
    return Redeliver(Endpoints(endpoint()), deliveries, uow, MovableClock(NOW))


async def test_a_redelivery_requeues_a_failed_delivery_from_the_start() -> None:
    deliveries, uow = Deliveries(), FakeUnitOfWork()
    deliveries.rows[UUID(int=2)] = delivery(status=DeliveryStatus.FAILED, failures=3, attempts=3)
    again = await redeliver(deliveries, uow).execute(Principal.operator(), UUID(int=1), UUID(int=2))
    assert (again.status, again.failures, again.attempts) == (DeliveryStatus.PENDING, 0, 3)
    assert deliveries.rows[UUID(int=2)] == again
    assert uow.commits == 1


async def test_a_redelivery_never_overwrites_a_claim_made_before_or_after_its_read() -> None:
    for deliveries in (Deliveries(), ClaimedAfterRead()):
        uow = FakeUnitOfWork()
        status = DeliveryStatus.DELIVERING if type(deliveries) is Deliveries else DeliveryStatus.FAILED
        deliveries.rows[UUID(int=2)] = delivery(status=status)
        with pytest.raises(DeliveryInFlightError):
            await redeliver(deliveries, uow).execute(Principal.operator(), UUID(int=1), UUID(int=2))
        assert deliveries.rows[UUID(int=2)].status is DeliveryStatus.DELIVERING  # the worker's claim stands
        assert uow.commits == 0
