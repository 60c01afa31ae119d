"""Webhook endpoints, their deliveries and the retry schedule (Standard Webhooks)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from domain.shared.events import EventType

# 5 s, 5 min, 30 min, 2 h, 5 h, 8 h, 8 h: eight attempts over about 23.6 hours, then the endpoint is disabled
DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (5, 300, 1800, 7200, 18_000, 28_800, 28_800)
JITTER = 0.2  # each delay is drawn within +-20%, so endpoints that failed together do not retry in lockstep
RESPONSE_PREFIX_BYTES = 1024  # what is kept of a receiver's answer: enough to debug, never a whole page


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    DELIVERING = "delivering"  # claimed by a worker until lease_until; a dead worker's claim runs out
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the schedule was exhausted (the endpoint was disabled) or the endpoint is disabled


@dataclass(frozen=True, slots=True)
class SigningSecrets:
    """The current secret and, during a rotation's overlap, the previous one: both sign until it expires."""

    current: str  # whsec_<base64>
    previous: str | None = None
    previous_expires_at: datetime | None = None

    def signing(self, now: datetime) -> list[str]:
        if self.previous and self.previous_expires_at and now < self.previous_expires_at:
            return [self.current, self.previous]
        return [self.current]

    def rotated(self, new: str, now: datetime, overlap: timedelta) -> SigningSecrets:
        # an unreadable current secret ("") is not kept: it could sign nothing
        if not self.current:
            return SigningSecrets(current=new)
        return SigningSecrets(current=new, previous=self.current, previous_expires_at=now + overlap)


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    id: UUID
    owner_id: UUID
    url: str
    description: str
    event_types: frozenset[EventType]
    secrets: SigningSecrets
    enabled: bool
    created_at: datetime
    updated_at: datetime
    disabled_at: datetime | None = None
    disabled_reason: str | None = None
    # what the credential that created the endpoint could read, kept so an endpoint never hears more than
    # its creator could: full admin rights (every collection), the documents:read permission (any event) and
    # assistant:use (job and conversation events)
    admin_rights: bool = False
    reads_documents: bool = False
    uses_assistant: bool = False

    def subscribes_to(self, event_type: EventType) -> bool:
        return self.enabled and event_type in self.event_types

    def with_changes(self, **changes: object) -> WebhookEndpoint:
        return replace(self, **changes)  # type: ignore[arg-type]

    def disabled(self, now: datetime, reason: str) -> WebhookEndpoint:
        return replace(self, enabled=False, disabled_at=now, disabled_reason=reason, updated_at=now)


@dataclass(frozen=True, slots=True)
class Delivery:
    id: UUID
    endpoint_id: UUID
    event_id: UUID  # the webhook-id: the same on every attempt and redelivery, so receivers dedupe on it
    event_type: EventType
    payload: str  # the exact JSON body that is signed and sent
    status: DeliveryStatus
    attempts: int  # every attempt ever made
    failures: int  # failed attempts since the last success or redelivery: the position in the schedule
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime
    lease_until: datetime | None = None
    last_status_code: int | None = None
    last_latency_ms: int | None = None
    last_response: str | None = None  # at most RESPONSE_PREFIX_BYTES of the body
    last_error: str | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """What one POST gave: a status code (any), or an error before one came back."""

    status_code: int | None
    latency_ms: int
    response_prefix: str | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def describe(self) -> str:
        if self.error:
            return self.error
        if self.status_code is not None and 300 <= self.status_code < 400:
            return f"HTTP {self.status_code}: redirects are not followed"
        return f"HTTP {self.status_code}"


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    id: UUID
    delivery_id: UUID
    attempt: int
    started_at: datetime
    status_code: int | None
    latency_ms: int | None
    error: str | None


def retry_delay(schedule: tuple[float, ...], failures: int, unit_random: float) -> timedelta | None:
    """The wait after the ``failures``-th consecutive failure, or None once the schedule is exhausted.

    ``unit_random`` in [0, 1) spreads the delay over +-JITTER.
    """
    if failures < 1 or failures > len(schedule):
        return None
    base = schedule[failures - 1]
    return timedelta(seconds=base * (1 - JITTER + 2 * JITTER * unit_random))
