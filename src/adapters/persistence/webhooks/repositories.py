"""SQLAlchemy repositories of webhook endpoints and deliveries."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.paging import fetch_page, order_by
from adapters.persistence.webhooks.tables import WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow
from adapters.security.secret_box import SecretBox
from application.shared.ports import Page, PageRequest
from application.webhooks.ports import Claim
from domain.shared.events import EventType
from domain.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, SigningSecrets, WebhookEndpoint

logger = logging.getLogger(__name__)

ENDPOINT_SORTS = ("created_at", "url")
DELIVERY_SORTS = ("created_at", "next_attempt_at")


class SqlWebhookEndpoints:
    def __init__(self, session: AsyncSession, box: SecretBox) -> None:
        self._session = session
        self._box = box

    def _open(self, sealed: str) -> str:
        """The secret, or "" when it cannot be unsealed (WEBHOOK_SECRETS_KEY changed): such an endpoint is
        still listed and can be rotated, but deliveries fail until it is."""
        secret = self._box.try_open(sealed)
        if secret is None:
            logger.warning("a webhook signing secret cannot be unsealed: was WEBHOOK_SECRETS_KEY changed?")
            return ""
        return secret

    def _of(self, row: WebhookEndpointRow) -> WebhookEndpoint:
        previous = self._open(row.previous_secret_sealed) if row.previous_secret_sealed else None
        return WebhookEndpoint(
            id=row.id,
            owner_id=row.owner_id,
            url=row.url,
            description=row.description,
            event_types=frozenset(EventType(name) for name in row.event_types if name in EventType._value2member_map_),
            secrets=SigningSecrets(self._open(row.secret_sealed), previous, row.previous_secret_expires_at),
            enabled=row.enabled,
            created_at=row.created_at,
            updated_at=row.updated_at,
            disabled_at=row.disabled_at,
            disabled_reason=row.disabled_reason,
            admin_rights=row.admin_rights,
            reads_documents=row.reads_documents,
            uses_assistant=row.uses_assistant,
        )

    def _values(self, endpoint: WebhookEndpoint) -> dict[str, Any]:
        previous = endpoint.secrets.previous
        return {
            "owner_id": endpoint.owner_id,
            "url": endpoint.url,
            "description": endpoint.description,
            "event_types": sorted(kind.value for kind in endpoint.event_types),
            "enabled": endpoint.enabled,
            "disabled_at": endpoint.disabled_at,
            "disabled_reason": endpoint.disabled_reason,
            "secret_sealed": self._box.seal(endpoint.secrets.current),
            "previous_secret_sealed": self._box.seal(previous) if previous else None,
            "previous_secret_expires_at": endpoint.secrets.previous_expires_at,
            "admin_rights": endpoint.admin_rights,
            "reads_documents": endpoint.reads_documents,
            "uses_assistant": endpoint.uses_assistant,
            "created_at": endpoint.created_at,
            "updated_at": endpoint.updated_at,
        }

    async def add(self, endpoint: WebhookEndpoint) -> None:
        self._session.add(WebhookEndpointRow(id=endpoint.id, **self._values(endpoint)))
        await self._session.flush()

    async def get(self, endpoint_id: UUID) -> WebhookEndpoint | None:
        row = await self._session.get(WebhookEndpointRow, endpoint_id, populate_existing=True)
        return None if row is None else self._of(row)

    async def save(self, endpoint: WebhookEndpoint) -> None:
        await self._session.execute(
            update(WebhookEndpointRow)
            .where(WebhookEndpointRow.id == endpoint.id)
            .values(**self._values(endpoint))
            .execution_options(synchronize_session=False)
        )

    async def delete(self, endpoint_id: UUID) -> None:
        await self._session.execute(delete(WebhookEndpointRow).where(WebhookEndpointRow.id == endpoint_id))

    async def list(self, owner_id: UUID | None, page: PageRequest) -> Page[WebhookEndpoint]:
        query = select(WebhookEndpointRow)
        if owner_id is not None:
            query = query.where(WebhookEndpointRow.owner_id == owner_id)
        columns = {"created_at": WebhookEndpointRow.created_at, "url": WebhookEndpointRow.url}
        rows, total = await fetch_page(self._session, query, page, order_by(page.sort, columns, WebhookEndpointRow.id))
        return Page([self._of(row) for row in rows], total, page.limit, page.offset)

    async def enabled_for(self, event_types: frozenset[EventType]) -> builtins.list[WebhookEndpoint]:
        rows = await self._session.scalars(
            select(WebhookEndpointRow).where(
                WebhookEndpointRow.enabled.is_(True),
                WebhookEndpointRow.event_types.overlap([str(kind) for kind in event_types]),
            )
        )
        return [self._of(row) for row in rows]


def _delivery_of(row: WebhookDeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event_id=row.event_id,
        event_type=EventType(row.event_type),
        payload=row.payload,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        failures=row.failures,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        lease_until=row.lease_until,
        last_status_code=row.last_status_code,
        last_latency_ms=row.last_latency_ms,
        last_response=row.last_response,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
    )


def _delivery_values(delivery: Delivery) -> dict[str, Any]:
    values = asdict(delivery)
    values["status"] = delivery.status.value
    values["event_type"] = delivery.event_type.value
    return values


class SqlWebhookDeliveries:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_many(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        await self._session.execute(
            insert(WebhookDeliveryRow)
            .values([_delivery_values(delivery) for delivery in deliveries])
            .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
        )

    async def get(self, delivery_id: UUID) -> Delivery | None:
        row = await self._session.get(WebhookDeliveryRow, delivery_id, populate_existing=True)
        return None if row is None else _delivery_of(row)

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Claim]:
        row = WebhookDeliveryRow
        due = (
            select(row.id, row.status)
            .join(WebhookEndpointRow, WebhookEndpointRow.id == row.endpoint_id)
            .where(
                WebhookEndpointRow.enabled.is_(True),
                or_(
                    and_(row.status == DeliveryStatus.PENDING.value, row.next_attempt_at <= now),
                    # claimed by a worker that stopped touching it (SIGKILL, lost host)
                    and_(row.status == DeliveryStatus.DELIVERING.value, row.lease_until < now),
                ),
            )
            .order_by(row.next_attempt_at)
            .limit(limit)
            .with_for_update(of=row, skip_locked=True)
        )
        found: dict[UUID, str] = dict((await self._session.execute(due)).tuples().all())
        if not found:
            return []
        claimed = await self._session.scalars(
            update(row)
            .where(row.id.in_(found))
            .values(
                status=DeliveryStatus.DELIVERING.value,
                attempts=row.attempts + 1,
                lease_until=lease_until,
                updated_at=now,
            )
            .returning(row)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return [
            Claim(_delivery_of(item), lost=found[item.id] == DeliveryStatus.DELIVERING.value) for item in claimed.all()
        ]

    async def settle(self, delivery: Delivery, held_attempt: int) -> bool:
        values = _delivery_values(delivery)
        values.pop("id")
        result = await self._session.execute(
            update(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.id == delivery.id,
                WebhookDeliveryRow.status == DeliveryStatus.DELIVERING.value,
                WebhookDeliveryRow.attempts == held_attempt,
            )
            .values(**values)
            .returning(WebhookDeliveryRow.id)
            .execution_options(synchronize_session=False)
        )
        return result.first() is not None

    async def requeue(self, delivery: Delivery, read_attempts: int) -> bool:
        values = _delivery_values(delivery)
        values.pop("id")
        # one conditional statement: a claim between the caller's read and this write must not be overwritten
        result = await self._session.execute(
            update(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.id == delivery.id,
                WebhookDeliveryRow.status != DeliveryStatus.DELIVERING.value,
                WebhookDeliveryRow.attempts == read_attempts,
            )
            .values(**values)
            .returning(WebhookDeliveryRow.id)
            .execution_options(synchronize_session=False)
        )
        return result.first() is not None

    async def fail_open(self, endpoint_id: UUID, now: datetime, reason: str) -> int:
        result = await self._session.execute(
            update(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.endpoint_id == endpoint_id,
                WebhookDeliveryRow.status == DeliveryStatus.PENDING.value,
            )
            .values(status=DeliveryStatus.FAILED.value, last_error=reason, updated_at=now)
            .returning(WebhookDeliveryRow.id)
            .execution_options(synchronize_session=False)
        )
        return len(result.all())

    async def record_attempt(self, attempt: DeliveryAttempt) -> None:
        self._session.add(WebhookAttemptRow(**asdict(attempt)))
        await self._session.flush()

    async def list_for_endpoint(self, endpoint_id: UUID, page: PageRequest) -> Page[Delivery]:
        query = select(WebhookDeliveryRow).where(WebhookDeliveryRow.endpoint_id == endpoint_id)
        columns = {"created_at": WebhookDeliveryRow.created_at, "next_attempt_at": WebhookDeliveryRow.next_attempt_at}
        rows, total = await fetch_page(self._session, query, page, order_by(page.sort, columns, WebhookDeliveryRow.id))
        return Page([_delivery_of(row) for row in rows], total, page.limit, page.offset)

    async def attempts_of(self, delivery_id: UUID) -> list[DeliveryAttempt]:
        rows = await self._session.scalars(
            select(WebhookAttemptRow)
            .where(WebhookAttemptRow.delivery_id == delivery_id)
            .order_by(WebhookAttemptRow.attempt, WebhookAttemptRow.started_at)
        )
        return [
            DeliveryAttempt(
                id=row.id,
                delivery_id=row.delivery_id,
                attempt=row.attempt,
                started_at=row.started_at,
                status_code=row.status_code,
                latency_ms=row.latency_ms,
                error=row.error,
            )
            for row in rows
        ]
