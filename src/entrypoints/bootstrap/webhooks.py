"""dishka wiring of signed webhooks: endpoints and deliveries in Postgres, the fan-out, the worker's delivery."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from dishka import Provider, Scope, provide, provide_all
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.webhooks.repositories import SqlWebhookDeliveries, SqlWebhookEndpoints
from adapters.security.secret_box import SecretBox
from adapters.webhooks.http_sender import HttpWebhookSender
from adapters.webhooks.resolver import SystemResolver
from application.identity.audit import Auditor
from application.identity.ports import MailOutbox, UserRepository
from application.shared.ports import Clock, IdGenerator, UnitOfWork
from application.webhooks.delivery import ClaimWebhookDeliveries, DeliverWebhook
from application.webhooks.endpoints import (
    CreateWebhook,
    DeleteWebhook,
    GetWebhook,
    ListDeliveries,
    ListWebhooks,
    Redeliver,
    RotateWebhookSecret,
    UpdateWebhook,
)
from application.webhooks.fanout import WebhookFanout
from application.webhooks.policy import WebhookPolicy
from application.webhooks.ports import AddressResolver, WebhookDeliveries, WebhookEndpoints, WebhookSender
from application.webhooks.targets import WebhookTargets
from entrypoints.bootstrap.closing import close_quietly
from entrypoints.bootstrap.settings import Settings


class WebhookProvider(Provider):
    @provide(scope=Scope.APP)
    def policy(self, settings: Settings) -> WebhookPolicy:
        return WebhookPolicy(
            retry_schedule=settings.webhook_schedule,
            lease=timedelta(seconds=settings.webhook_lease_seconds),
            rotation_overlap=timedelta(seconds=settings.webhook_rotation_overlap_seconds),
            batch_size=settings.webhook_batch_size,
            allowed_hosts=settings.webhook_allowed_host_set,
        )

    @provide(scope=Scope.APP)
    def secret_box(self, settings: Settings) -> SecretBox:
        return SecretBox(settings.webhook_secrets_key or settings.jwt_secret, purpose=b"lore webhook signing secrets")

    @provide(scope=Scope.APP)
    def resolver(self, settings: Settings) -> AddressResolver:
        return SystemResolver(min(settings.webhook_timeout_seconds, 5.0))

    @provide(scope=Scope.APP)
    def targets(self, resolver: AddressResolver, policy: WebhookPolicy) -> WebhookTargets:
        return WebhookTargets(resolver, policy.allowed_hosts)

    @provide(scope=Scope.APP)
    async def sender(self, settings: Settings) -> AsyncIterator[WebhookSender]:
        sender = HttpWebhookSender(settings.webhook_timeout_seconds)
        yield sender
        await close_quietly("webhook sender", sender.aclose)

    @provide(scope=Scope.REQUEST)
    def endpoints(self, session: AsyncSession, box: SecretBox) -> WebhookEndpoints:
        return SqlWebhookEndpoints(session, box)

    deliveries = provide(SqlWebhookDeliveries, provides=WebhookDeliveries, scope=Scope.REQUEST)

    # the relay's subscriber: REQUEST scope, so it writes in the relay's session (the relay's transaction)
    fanout = provide(WebhookFanout, scope=Scope.REQUEST)

    use_cases = provide_all(
        CreateWebhook,
        ListWebhooks,
        GetWebhook,
        UpdateWebhook,
        DeleteWebhook,
        RotateWebhookSecret,
        ListDeliveries,
        Redeliver,
        ClaimWebhookDeliveries,
        scope=Scope.REQUEST,
    )

    @provide(scope=Scope.REQUEST)
    def deliver(
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
    ) -> DeliverWebhook:
        return DeliverWebhook(endpoints, deliveries, targets, sender, users, mail, auditor, uow, ids, clock, policy)
