"""Registering and managing webhook endpoints: users their own, admins everyone's."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from uuid import UUID

from application.identity.audit import Auditor
from application.identity.ports import UserRepository
from application.shared.ports import Clock, IdGenerator, Page, PageRequest, UnitOfWork
from application.webhooks.policy import WebhookPolicy
from application.webhooks.ports import WebhookDeliveries, WebhookEndpoints
from application.webhooks.targets import WebhookTargets
from domain.identity.models import AuditAction
from domain.identity.principal import Principal
from domain.identity.roles import Permission
from domain.shared.events import EventType
from domain.webhooks.errors import (
    DeliveryInFlightError,
    DeliveryNotFoundError,
    OwnerNotFoundError,
    WebhookDisabledError,
    WebhookNotFoundError,
)
from domain.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, SigningSecrets, WebhookEndpoint
from domain.webhooks.signing import format_secret

SECRET_BYTES = 32  # Standard Webhooks asks for 24 to 64 random bytes


def new_secret() -> str:
    return format_secret(secrets.token_bytes(SECRET_BYTES))


@dataclass(frozen=True, slots=True)
class NewWebhook:
    url: str
    event_types: frozenset[EventType]
    description: str = ""
    owner_id: UUID | None = None  # someone else's (admins only); default the caller


@dataclass(frozen=True, slots=True)
class WebhookChanges:
    url: str | None = None
    description: str | None = None
    event_types: frozenset[EventType] | None = None
    enabled: bool | None = None


@dataclass(frozen=True, slots=True)
class WithSecret:
    endpoint: WebhookEndpoint
    secret: str  # shown once


class VisibleEndpoints:
    """An endpoint as the caller may see it: their own, or any for admins; others' read as missing."""

    def __init__(self, endpoints: WebhookEndpoints) -> None:
        self._endpoints = endpoints

    async def get(self, principal: Principal, endpoint_id: UUID) -> WebhookEndpoint:
        endpoint = await self._endpoints.get(endpoint_id)
        if endpoint is None or not (principal.acts_as_admin or endpoint.owner_id == principal.user_id):
            raise WebhookNotFoundError(details={"webhook_id": str(endpoint_id)})
        return endpoint


class CreateWebhook:
    def __init__(
        self,
        endpoints: WebhookEndpoints,
        targets: WebhookTargets,
        users: UserRepository,
        auditor: Auditor,
        uow: UnitOfWork,
        ids: IdGenerator,
        clock: Clock,
    ) -> None:
        self._endpoints = endpoints
        self._targets = targets
        self._users = users
        self._auditor = auditor
        self._uow = uow
        self._ids = ids
        self._clock = clock

    async def execute(self, principal: Principal, new: NewWebhook) -> WithSecret:
        owner_id = new.owner_id or principal.user_id
        if owner_id != principal.user_id:
            owner = await self._users.get(owner_id) if principal.acts_as_admin else None
            if owner is None:  # a member learns nothing of other users
                raise OwnerNotFoundError(details={"owner_id": str(owner_id)})
        await self._targets.check(new.url)
        now = self._clock.now()
        secret = new_secret()
        endpoint = WebhookEndpoint(
            id=self._ids.new_id(),
            owner_id=owner_id,
            url=new.url,
            description=new.description,
            event_types=new.event_types,
            secrets=SigningSecrets(current=secret),
            enabled=True,
            created_at=now,
            updated_at=now,
            admin_rights=principal.acts_as_admin,
            reads_documents=principal.can(Permission.DOCUMENTS_READ),
            uses_assistant=principal.can(Permission.ASSISTANT_USE),
        )
        await self._endpoints.add(endpoint)
        await self._auditor.record(
            AuditAction.WEBHOOK_CREATED, actor=principal, subject_id=owner_id, target=("webhook", endpoint.id)
        )
        await self._uow.commit()
        return WithSecret(endpoint, secret)


class ListWebhooks:
    def __init__(self, endpoints: WebhookEndpoints) -> None:
        self._endpoints = endpoints

    async def execute(self, principal: Principal, page: PageRequest) -> Page[WebhookEndpoint]:
        return await self._endpoints.list(None if principal.acts_as_admin else principal.user_id, page)


class GetWebhook:
    def __init__(self, endpoints: WebhookEndpoints) -> None:
        self._visible = VisibleEndpoints(endpoints)

    async def execute(self, principal: Principal, endpoint_id: UUID) -> WebhookEndpoint:
        return await self._visible.get(principal, endpoint_id)


class UpdateWebhook:
    def __init__(self, endpoints: WebhookEndpoints, targets: WebhookTargets, uow: UnitOfWork, clock: Clock) -> None:
        self._endpoints = endpoints
        self._visible = VisibleEndpoints(endpoints)
        self._targets = targets
        self._uow = uow
        self._clock = clock

    async def execute(self, principal: Principal, endpoint_id: UUID, changes: WebhookChanges) -> WebhookEndpoint:
        endpoint = await self._visible.get(principal, endpoint_id)
        if changes.url is not None and changes.url != endpoint.url:
            await self._targets.check(changes.url)
        now = self._clock.now()
        updated = endpoint.with_changes(
            url=endpoint.url if changes.url is None else changes.url,
            description=endpoint.description if changes.description is None else changes.description,
            event_types=endpoint.event_types if changes.event_types is None else changes.event_types,
            updated_at=now,
        )
        if changes.enabled is True and not endpoint.enabled:
            updated = updated.with_changes(enabled=True, disabled_at=None, disabled_reason=None)
        elif changes.enabled is False and endpoint.enabled:
            updated = updated.disabled(now, "disabled by its owner")
        await self._endpoints.save(updated)
        await self._uow.commit()
        return updated


class DeleteWebhook:
    def __init__(self, endpoints: WebhookEndpoints, auditor: Auditor, uow: UnitOfWork) -> None:
        self._endpoints = endpoints
        self._visible = VisibleEndpoints(endpoints)
        self._auditor = auditor
        self._uow = uow

    async def execute(self, principal: Principal, endpoint_id: UUID) -> None:
        endpoint = await self._visible.get(principal, endpoint_id)
        await self._endpoints.delete(endpoint.id)  # its deliveries and their attempts go with it
        await self._auditor.record(
            AuditAction.WEBHOOK_DELETED, actor=principal, subject_id=endpoint.owner_id, target=("webhook", endpoint.id)
        )
        await self._uow.commit()


class RotateWebhookSecret:
    """A new secret, shown once; the old one keeps signing (beside it) for the overlap, so receivers can switch."""

    def __init__(
        self, endpoints: WebhookEndpoints, auditor: Auditor, uow: UnitOfWork, clock: Clock, policy: WebhookPolicy
    ) -> None:
        self._endpoints = endpoints
        self._visible = VisibleEndpoints(endpoints)
        self._auditor = auditor
        self._uow = uow
        self._clock = clock
        self._policy = policy

    async def execute(self, principal: Principal, endpoint_id: UUID) -> WithSecret:
        endpoint = await self._visible.get(principal, endpoint_id)
        now = self._clock.now()
        secret = new_secret()
        rotated = endpoint.with_changes(
            secrets=endpoint.secrets.rotated(secret, now, self._policy.rotation_overlap), updated_at=now
        )
        await self._endpoints.save(rotated)
        await self._auditor.record(
            AuditAction.WEBHOOK_SECRET_ROTATED,
            actor=principal,
            subject_id=endpoint.owner_id,
            target=("webhook", endpoint.id),
        )
        await self._uow.commit()
        return WithSecret(rotated, secret)


class ListDeliveries:
    def __init__(self, endpoints: WebhookEndpoints, deliveries: WebhookDeliveries) -> None:
        self._visible = VisibleEndpoints(endpoints)
        self._deliveries = deliveries

    async def execute(self, principal: Principal, endpoint_id: UUID, page: PageRequest) -> Page[Delivery]:
        endpoint = await self._visible.get(principal, endpoint_id)
        return await self._deliveries.list_for_endpoint(endpoint.id, page)

    async def attempts(self, principal: Principal, endpoint_id: UUID, delivery_id: UUID) -> list[DeliveryAttempt]:
        endpoint = await self._visible.get(principal, endpoint_id)
        delivery = await self._deliveries.get(delivery_id)
        if delivery is None or delivery.endpoint_id != endpoint.id:
            raise DeliveryNotFoundError(details={"delivery_id": str(delivery_id)})
        return await self._deliveries.attempts_of(delivery_id)


class Redeliver:
    """Sends a delivery again from the start of the schedule, with the same webhook-id (receivers dedupe)."""

    def __init__(
        self, endpoints: WebhookEndpoints, deliveries: WebhookDeliveries, uow: UnitOfWork, clock: Clock
    ) -> None:
        self._visible = VisibleEndpoints(endpoints)
        self._deliveries = deliveries
        self._uow = uow
        self._clock = clock

    async def execute(self, principal: Principal, endpoint_id: UUID, delivery_id: UUID) -> Delivery:
        endpoint = await self._visible.get(principal, endpoint_id)
        delivery = await self._deliveries.get(delivery_id)
        if delivery is None or delivery.endpoint_id != endpoint.id:
            raise DeliveryNotFoundError(details={"delivery_id": str(delivery_id)})
        if not endpoint.enabled:
            raise WebhookDisabledError(details={"webhook_id": str(endpoint.id)})
        in_flight = DeliveryInFlightError(details={"delivery_id": str(delivery_id)})
        if delivery.status is DeliveryStatus.DELIVERING:
            raise in_flight
        now = self._clock.now()
        again = replace(
            delivery, status=DeliveryStatus.PENDING, failures=0, next_attempt_at=now, lease_until=None, updated_at=now
        )
        if not await self._deliveries.requeue(again, delivery.attempts):
            raise in_flight  # a worker claimed it after our read
        await self._uow.commit()
        return again
