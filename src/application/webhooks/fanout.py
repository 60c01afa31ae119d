"""The webhook side of the event stream: each committed event becomes a delivery per endpoint allowed to hear it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from uuid import UUID

from application.identity.authenticate import must_enrol
from application.identity.policy import IdentityPolicy
from application.identity.ports import MfaRepository, UserRepository
from application.knowledge.ports import ReadableCollections
from application.shared.ports import Clock, IdGenerator
from application.webhooks.ports import WebhookDeliveries, WebhookEndpoints
from domain.identity.models import User
from domain.identity.roles import Role
from domain.shared.events import ASSISTANT_EVENTS, DomainEvent, may_receive
from domain.webhooks.models import Delivery, DeliveryStatus


def body_of(event: DomainEvent) -> str:
    """The exact bytes that are signed and sent, fixed once so every attempt sends the same body."""
    return json.dumps(event.payload(), separators=(",", ":"), ensure_ascii=False)


class WebhookFanout:
    """An ``EventSubscriber``: called by the relay inside its unit of work, it only adds rows to it.

    The rows commit with the relay's mark that the events were handed on, so each event reaches each
    endpoint exactly once (and the (endpoint, event) key makes a repeated hand-over a no-op). Who may
    hear an event is decided now, with the live feed's rule, from the owner's current role, MFA enrolment
    and collection access, bounded by what the credential that created the endpoint could read: an
    admin's endpoint hears everything only if the admin has full admin rights today (not waiting for MFA
    enrolment under MFA_REQUIRED_FOR_ADMINS) and it was created with full admin rights; a credential
    without documents:read created an endpoint that hears nothing.
    """

    def __init__(
        self,
        endpoints: WebhookEndpoints,
        deliveries: WebhookDeliveries,
        users: UserRepository,
        readable: ReadableCollections,
        mfa: MfaRepository,
        policy: IdentityPolicy,
        ids: IdGenerator,
        clock: Clock,
    ) -> None:
        self._endpoints = endpoints
        self._deliveries = deliveries
        self._users = users
        self._readable = readable
        self._mfa = mfa
        self._policy = policy
        self._ids = ids
        self._clock = clock

    async def receive(self, events: Sequence[DomainEvent]) -> None:
        if not events:
            return
        endpoints = await self._endpoints.enabled_for(frozenset(event.type for event in events))
        if not endpoints:
            return
        owners: dict[UUID, User | None] = {}
        admins: dict[UUID, bool] = {}  # owner -> has full admin rights now
        reads: dict[tuple[UUID, UUID], bool] = {}
        now = self._clock.now()
        deliveries: list[Delivery] = []
        for event in events:
            body: str | None = None
            for endpoint in endpoints:
                if not endpoint.subscribes_to(event.type):
                    continue
                if endpoint.owner_id not in owners:
                    owners[endpoint.owner_id] = await self._users.get(endpoint.owner_id)
                owner = owners[endpoint.owner_id]
                if owner is None or not owner.is_active or not endpoint.reads_documents:
                    continue
                if event.type in ASSISTANT_EVENTS and not endpoint.uses_assistant:  # as the live feed rules
                    continue
                if owner.id not in admins:
                    admins[owner.id] = await self._acts_as_admin(owner)
                is_admin = admins[owner.id] and endpoint.admin_rights
                if not await self._may_hear(event, owner, is_admin, reads):
                    continue
                body = body or body_of(event)
                deliveries.append(
                    Delivery(
                        id=self._ids.new_id(),
                        endpoint_id=endpoint.id,
                        event_id=event.id,
                        event_type=event.type,
                        payload=body,
                        status=DeliveryStatus.PENDING,
                        attempts=0,
                        failures=0,
                        next_attempt_at=now,
                        created_at=now,
                        updated_at=now,
                    )
                )
        if deliveries:
            await self._deliveries.add_many(deliveries)

    async def _acts_as_admin(self, owner: User) -> bool:
        """Principal.acts_as_admin for the owner's own session: admin, and not held back by the enrolment rule."""
        if owner.role is not Role.ADMIN:
            return False
        if not self._policy.mfa_required_for_admins:
            return True
        enrolment = await self._mfa.get(owner.id)
        return not must_enrol(owner, enrolment is not None and enrolment.is_active, self._policy)

    async def _may_hear(
        self, event: DomainEvent, owner: User, is_admin: bool, reads: dict[tuple[UUID, UUID], bool]
    ) -> bool:
        collection_id = event.audience.collection_id
        reads_collection = False
        if not is_admin and collection_id is not None and not event.audience.names(owner.id):
            key = (owner.id, collection_id)
            if key not in reads:
                readable = await self._readable.readable(owner.id, frozenset({collection_id}), all_collections=False)
                reads[key] = collection_id in readable
            reads_collection = reads[key]
        return may_receive(event, owner.id, is_admin=is_admin, reads_collection=reads_collection)
