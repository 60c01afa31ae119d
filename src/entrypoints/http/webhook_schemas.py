"""Request and response bodies of /api/v1/webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec

from domain.shared.events import EventType
from domain.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, WebhookEndpoint
from entrypoints.http.schemas import Body, Schema
from entrypoints.http.text_rules import line

# http(s) with no whitespace or control characters; what it resolves to is checked by the use case (422)
WebhookUrl = Annotated[str, msgspec.Meta(min_length=8, max_length=2048, pattern=r"^https?://[^\s\x00-\x1f\x7f]+$")]
Description = Annotated[str, line(500)]
EventTypes = Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=len(EventType))]


class CreateWebhookBody(Body):
    url: WebhookUrl
    events: EventTypes
    description: Description = ""
    owner_id: UUID | None = None  # admins: register for another user


class UpdateWebhookBody(Body):
    url: WebhookUrl | None = None
    events: EventTypes | None = None
    description: Description | None = None
    enabled: bool | None = None


class WebhookOut(Schema):
    id: UUID
    owner_id: UUID
    url: str
    description: str
    events: list[EventType]
    enabled: bool
    created_at: datetime
    updated_at: datetime
    disabled_at: datetime | None = None
    disabled_reason: str | None = None
    previous_secret_expires_at: datetime | None = None  # a rotation's overlap: the old secret signs until then

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> WebhookOut:
        return cls(**_fields(endpoint))


class CreatedWebhookOut(WebhookOut):
    secret: str = ""  # whsec_...: shown in this response only

    @classmethod
    def of_created(cls, endpoint: WebhookEndpoint, secret: str) -> CreatedWebhookOut:
        return cls(**_fields(endpoint), secret=secret)


def _fields(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "owner_id": endpoint.owner_id,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": sorted(endpoint.event_types),
        "enabled": endpoint.enabled,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
        "disabled_at": endpoint.disabled_at,
        "disabled_reason": endpoint.disabled_reason,
        "previous_secret_expires_at": endpoint.secrets.previous_expires_at if endpoint.secrets.previous else None,
    }


class DeliveryOut(Schema):
    id: UUID
    webhook_id: UUID
    event_id: UUID  # the webhook-id header
    event_type: EventType
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime
    response_code: int | None = None
    latency_ms: int | None = None
    response_prefix: str | None = None
    error: str | None = None
    delivered_at: datetime | None = None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls(
            id=delivery.id,
            webhook_id=delivery.endpoint_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at,
            updated_at=delivery.updated_at,
            response_code=delivery.last_status_code,
            latency_ms=delivery.last_latency_ms,
            response_prefix=delivery.last_response,
            error=delivery.last_error,
            delivered_at=delivery.delivered_at,
        )


class AttemptOut(Schema):
    attempt: int
    started_at: datetime
    response_code: int | None = None
    latency_ms: int | None = None
    error: str | None = None

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> AttemptOut:
        return cls(
            attempt=attempt.attempt,
            started_at=attempt.started_at,
            response_code=attempt.status_code,
            latency_ms=attempt.latency_ms,
            error=attempt.error,
        )
