"""Delivery by the worker: claim due deliveries under a lease, POST each once, retry on a schedule, then give up."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from application.identity.audit import Auditor
from application.identity.ports import EmailMessage, MailOutbox, UserRepository
from application.shared.ports import Clock, IdGenerator, UnitOfWork
from application.webhooks.policy import WebhookPolicy
from application.webhooks.ports import Claim, WebhookDeliveries, WebhookEndpoints, WebhookSender
from application.webhooks.targets import WebhookTargets
from domain.identity.models import AuditAction
from domain.shared.errors import DomainError
from domain.webhooks.models import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookEndpoint,
    retry_delay,
)
from domain.webhooks.signing import headers

logger = logging.getLogger(__name__)

DISABLED = "the endpoint is disabled"
UNSEALABLE = "the signing secret cannot be unsealed (was WEBHOOK_SECRETS_KEY changed?); rotate the secret"
LOST = "the worker stopped during this attempt (its lease ran out); retried"


class ClaimWebhookDeliveries:
    """Takes due deliveries for this worker; a claim whose worker died (lease expired) is taken again."""

    def __init__(
        self, deliveries: WebhookDeliveries, uow: UnitOfWork, ids: IdGenerator, clock: Clock, policy: WebhookPolicy
    ) -> None:
        self._deliveries = deliveries
        self._uow = uow
        self._ids = ids
        self._clock = clock
        self._policy = policy

    async def execute(self) -> list[Delivery]:
        now = self._clock.now()
        claims = await self._deliveries.claim_due(now, now + self._policy.lease, self._policy.batch_size)
        for claim in claims:
            if claim.lost:
                await self._log_lost(claim, now)
        await self._uow.commit()
        return [claim.delivery for claim in claims]

    async def _log_lost(self, claim: Claim, now: datetime) -> None:
        delivery = claim.delivery
        logger.warning("webhook delivery %s: its worker died mid-attempt; retrying", delivery.id)
        await self._deliveries.record_attempt(
            DeliveryAttempt(
                id=self._ids.new_id(),
                delivery_id=delivery.id,
                attempt=delivery.attempts - 1,
                started_at=now,
                status_code=None,
                latency_ms=None,
                error=LOST,
            )
        )


class DeliverWebhook:
    """One attempt of one claimed delivery, its outcome recorded in its own transaction."""

    def __init__(
        self,
        endpoints: WebhookEndpoints,
        deliveries: WebhookDeliveries,
        targets: WebhookTargets,
        sender: WebhookSender,
        users: UserRepository,
        mail: MailOutbox,
        auditor: Auditor,
        uow: UnitOfWork,
        ids: IdGenerator,
        clock: Clock,
        policy: WebhookPolicy,
        unit_random: Callable[[], float] = random.random,
    ) -> None:
        self._endpoints = endpoints
        self._deliveries = deliveries
        self._targets = targets
        self._sender = sender
        self._users = users
        self._mail = mail
        self._auditor = auditor
        self._uow = uow
        self._ids = ids
        self._clock = clock
        self._policy = policy
        self._random = unit_random

    async def execute(self, delivery: Delivery) -> DeliveryStatus:
        endpoint = await self._endpoints.get(delivery.endpoint_id)
        await self._uow.rollback()  # no transaction held open during the POST
        if endpoint is None:
            return DeliveryStatus.FAILED  # deleted meanwhile: its deliveries went with it
        started = self._clock.now()
        outcome = await self._attempt(endpoint, delivery, started)
        settled = self._settled(delivery, outcome, self._clock.now())
        await self._deliveries.record_attempt(
            DeliveryAttempt(
                id=self._ids.new_id(),
                delivery_id=delivery.id,
                attempt=delivery.attempts,
                started_at=started,
                status_code=outcome.status_code,
                latency_ms=outcome.latency_ms,
                error=None if outcome.succeeded else outcome.describe(),
            )
        )
        if not await self._deliveries.settle(settled, delivery.attempts):
            await self._uow.commit()  # the attempt is logged; another worker holds the delivery now
            return DeliveryStatus.DELIVERING
        exhausted = settled.status is DeliveryStatus.FAILED
        if exhausted:
            await self._disable(endpoint, settled, outcome)
        await self._uow.commit()
        if exhausted:
            await self._notify(endpoint, outcome)
        return settled.status

    async def _attempt(self, endpoint: WebhookEndpoint, delivery: Delivery, now: datetime) -> AttemptOutcome:
        if not endpoint.enabled:
            return AttemptOutcome(status_code=None, latency_ms=0, error=DISABLED)
        if not endpoint.secrets.current:
            return AttemptOutcome(status_code=None, latency_ms=0, error=UNSEALABLE)
        try:
            target = await self._targets.check(endpoint.url)  # again: what the name resolves to may have changed
        except DomainError as exc:
            return AttemptOutcome(status_code=None, latency_ms=0, error=f"{exc.code}: {exc.message}")
        signed = headers(endpoint.secrets.signing(now), str(delivery.event_id), int(now.timestamp()), delivery.payload)
        return await self._sender.post(target, signed, delivery.payload)

    def _settled(self, delivery: Delivery, outcome: AttemptOutcome, now: datetime) -> Delivery:
        last = replace(
            delivery,
            lease_until=None,
            updated_at=now,
            last_status_code=outcome.status_code,
            last_latency_ms=outcome.latency_ms,
            last_response=outcome.response_prefix,
            last_error=None if outcome.succeeded else outcome.describe(),
        )
        if outcome.succeeded:
            return replace(last, status=DeliveryStatus.SUCCEEDED, failures=0, delivered_at=now)
        failures = delivery.failures + 1
        delay = retry_delay(self._policy.retry_schedule, failures, self._random())
        if delay is None or outcome.error == DISABLED:
            return replace(last, status=DeliveryStatus.FAILED, failures=failures)
        return replace(last, status=DeliveryStatus.PENDING, failures=failures, next_attempt_at=now + delay)

    async def _disable(self, endpoint: WebhookEndpoint, delivery: Delivery, outcome: AttemptOutcome) -> None:
        if not endpoint.enabled:
            return
        now = self._clock.now()
        reason = f"{delivery.failures} failed attempts in a row; last: {outcome.describe()}"[:500]
        await self._endpoints.save(endpoint.disabled(now, reason))
        await self._deliveries.fail_open(endpoint.id, now, "the endpoint was disabled")
        await self._auditor.record(
            AuditAction.WEBHOOK_DISABLED,
            subject_id=endpoint.owner_id,
            target=("webhook", endpoint.id),
            reason=reason,
            url=endpoint.url,
        )
        logger.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)

    async def _notify(self, endpoint: WebhookEndpoint, outcome: AttemptOutcome) -> None:
        if not endpoint.enabled:
            return
        owner = await self._users.get(endpoint.owner_id)
        if owner is None:
            return
        text = (
            f"Lore stopped sending events to your webhook endpoint {endpoint.url} (id {endpoint.id}):\n"
            f"every attempt of a delivery failed over the retry schedule (last: {outcome.describe()}).\n\n"
            "Fix the receiver, then enable the endpoint again (PATCH /api/v1/webhooks/{id} with "
            '{"enabled": true}) and redeliver what it missed.\n'
        )
        try:
            await self._mail.send_later(
                EmailMessage(to=owner.email, subject="Your Lore webhook was disabled", text=text)
            )
        except Exception:  # the audit entry and the endpoint's state already say it; the mail is a courtesy
            logger.warning("could not queue the webhook-disabled email for %s", endpoint.id, exc_info=True)
