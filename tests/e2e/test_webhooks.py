"""Signed webhooks over real HTTP: a receiver on 127.0.0.1 verifies each request with `standardwebhooks`.

Events are hand-made and handed to the fan-out as the relay would (inside a unit of work); deliveries run
through the worker's task function in-process, except in the SIGKILL test, which uses real `lore worker`s.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import pytest
from click.testing import CliRunner, Result
from dishka import AsyncContainer, Provider, Scope, provide
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from adapters.persistence.webhooks.tables import WebhookDeliveryRow
from application.identity.ports import EmailMessage, MailOutbox
from application.shared.ports import UnitOfWork
from application.webhooks.endpoints import RotateWebhookSecret
from application.webhooks.fanout import WebhookFanout
from application.webhooks.ports import WebhookDeliveries
from domain.identity.principal import Principal
from domain.identity.roles import Role
from domain.shared.events import Audience, DomainEvent, EventType
from domain.webhooks.models import Delivery, DeliveryStatus
from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.settings import Settings
from entrypoints.cli.main import cli
from entrypoints.http.app import create_app
from entrypoints.worker.tasks import Context, deliver_webhooks
from tests.e2e.knowledge_support import new_collection
from tests.support.api import Account, Client, signed_in
from tests.support.processes import LoreProcess, stores_env
from tests.support.webhook_receiver import Receiver, receiving

LIMIT_SECONDS = 60


class _Outbox:
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    async def send_later(self, message: EmailMessage) -> None:
        self.sent.append(message)


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(
        settings,
        webhook_allowed_hosts="127.0.0.1",
        webhook_retry_schedule="0.2,0.2",  # three attempts, a fraction of a second apart
        webhook_timeout_seconds=5.0,
        webhook_lease_seconds=15,  # the timeout and the 10 s headroom settings require
    )


@pytest.fixture
async def hooks(hook_settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(hook_settings)) as client:
        yield client


@pytest.fixture
def outbox() -> _Outbox:
    return _Outbox()


@pytest.fixture
async def container(hook_settings: Settings, outbox: _Outbox) -> AsyncIterator[AsyncContainer]:
    class Mail(Provider):
        @provide(scope=Scope.APP)
        def mail(self) -> MailOutbox:
            return outbox

    container = build_container(hook_settings, Mail())
    yield container
    await container.close()


def event(kind: EventType, *, collection_id: str | None = None, user_ids: tuple[str, ...] = ()) -> DomainEvent:
    return DomainEvent(
        id=uuid7(),
        type=kind,
        occurred_at=datetime.now(UTC),
        subject={"document_id": "d1"} | ({"collection_id": collection_id} if collection_id else {}),
        data={"title": "Handbook"},
        audience=Audience(
            collection_id=UUID(collection_id) if collection_id else None,
            user_ids=frozenset(UUID(user_id) for user_id in user_ids),
        ),
    )


async def fan_out(container: AsyncContainer, *events: DomainEvent) -> None:
    """As the relay does: the subscriber writes in the relay's unit of work, which then commits."""
    async with container() as scope:
        await (await scope.get(WebhookFanout)).receive(events)
        await (await scope.get(UnitOfWork)).commit()


async def deliveries_of(container: AsyncContainer, delivery_ids: list[UUID]) -> list[Delivery]:
    async with container() as scope:
        repository = await scope.get(WebhookDeliveries)
        found = [await repository.get(delivery_id) for delivery_id in delivery_ids]
    return [delivery for delivery in found if delivery is not None]


async def until(
    condition: Callable[[], Awaitable[bool]], what: str, *, work: Callable[[], Awaitable[Any]] | None = None
) -> None:
    deadline = asyncio.get_running_loop().time() + LIMIT_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        if work is not None:
            await work()
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {LIMIT_SECONDS} s: {what}")


async def rounds(container: AsyncContainer) -> int:
    """One round of the worker's delivery task."""
    delivered: int = await deliver_webhooks(Context(container=container))  # type: ignore[typeddict-item]
    return delivered


async def register(client: Client, account: Account, url: str, *events: EventType) -> dict[str, Any]:
    body = {"url": url, "events": [kind.value for kind in events or (EventType.DOCUMENT_READY,)]}
    response = await client.post("/api/v1/webhooks", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    assert data["secret"].startswith("whsec_")
    return data


async def log_of(client: Client, account: Account, webhook_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=account.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["data"]
    return items


async def attempts_of(client: Client, account: Account, webhook_id: str, delivery_id: str) -> list[dict[str, Any]]:
    url = f"/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/attempts"
    response = await client.get(url, headers=account.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["data"]
    return items


async def test_a_delivery_is_signed_retried_after_500s_and_signed_with_both_secrets_during_rotation(
    hooks: Client, container: AsyncContainer
) -> None:
    member = await signed_in(hooks, "hook-owner@example.org")
    with receiving(Receiver(statuses=[500, 500, 200])) as receiver:
        endpoint = await register(hooks, member, receiver.url)
        receiver.secrets = [endpoint["secret"]]
        sent = event(EventType.DOCUMENT_READY, user_ids=(member.id,))
        await fan_out(container, sent, event(EventType.JOB_FAILED, user_ids=(member.id,)))  # not subscribed
        await fan_out(container, sent)  # handed over twice: still one delivery

        async def delivered() -> bool:
            log = await log_of(hooks, member, endpoint["id"])
            return len(log) == 1 and log[0]["status"] == "succeeded"

        await until(delivered, "the third attempt succeeds", work=lambda: rounds(container))

        assert [(r.webhook_id, r.verified_by) for r in receiver.requests] == [(str(sent.id), [0])] * 3
        assert json.loads(receiver.requests[0].body) == sent.payload()
        [delivery] = await log_of(hooks, member, endpoint["id"])
        assert (delivery["event_id"], delivery["attempts"], delivery["response_code"]) == (str(sent.id), 3, 200)
        assert len(delivery["response_prefix"]) == 1024  # the receiver answered 5000 bytes
        attempts = await attempts_of(hooks, member, endpoint["id"], delivery["id"])
        assert [(a["attempt"], a["response_code"]) for a in attempts] == [(1, 500), (2, 500), (3, 200)]
        assert attempts[0]["error"] == "HTTP 500"

        # rotation: the new secret is shown once and both sign until the overlap ends
        rotated = await hooks.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret", headers=member.headers)
        assert rotated.status_code == 200, rotated.text
        new_secret = rotated.json()["data"]["secret"]
        assert new_secret != endpoint["secret"]
        assert rotated.json()["data"]["previous_secret_expires_at"] is not None
        shown = await hooks.get(f"/api/v1/webhooks/{endpoint['id']}", headers=member.headers)
        assert "secret" not in shown.json()["data"]
        receiver.secrets = [endpoint["secret"], new_secret]
        second = event(EventType.DOCUMENT_READY, user_ids=(member.id,))
        await fan_out(container, second)

        async def second_arrived() -> bool:
            return any(r.webhook_id == str(second.id) for r in receiver.requests)

        await until(second_arrived, "the delivery after the rotation", work=lambda: rounds(container))
        last = receiver.requests[-1]
        assert last.verified_by == [0, 1]  # a receiver with the old secret verifies, one with the new too
        assert len(last.headers["webhook-signature"].split(" ")) == 2


async def test_an_endpoint_failing_the_whole_schedule_is_disabled_and_its_owner_told(
    hooks: Client, container: AsyncContainer, outbox: _Outbox
) -> None:
    member = await signed_in(hooks, "hook-failing@example.org")
    with receiving(Receiver(statuses=[503])) as receiver:
        endpoint = await register(hooks, member, receiver.url)
        receiver.secrets = [endpoint["secret"]]
        await fan_out(container, event(EventType.DOCUMENT_READY, user_ids=(member.id,)))

        async def disabled() -> bool:
            shown = await hooks.get(f"/api/v1/webhooks/{endpoint['id']}", headers=member.headers)
            return shown.json()["data"]["enabled"] is False

        await until(disabled, "the endpoint is disabled", work=lambda: rounds(container))
        assert len(receiver.requests) == 3  # the first attempt and the schedule's two retries
    shown = (await hooks.get(f"/api/v1/webhooks/{endpoint['id']}", headers=member.headers)).json()["data"]
    assert "3 failed attempts" in shown["disabled_reason"]
    [delivery] = await log_of(hooks, member, endpoint["id"])
    assert (delivery["status"], delivery["attempts"], delivery["response_code"]) == ("failed", 3, 503)
    [mail] = outbox.sent
    assert mail.to == member.email
    assert endpoint["id"] in mail.text

    # redelivery waits for the owner to enable it again
    redeliver = f"/api/v1/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/redeliver"
    refused = await hooks.post(redeliver, headers=member.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "WEBHOOK_DISABLED"
    enabled = await hooks.patch(f"/api/v1/webhooks/{endpoint['id']}", json={"enabled": True}, headers=member.headers)
    assert enabled.json()["data"]["enabled"] is True
    assert enabled.json()["data"]["disabled_reason"] is None
    again = await hooks.post(redeliver, headers=member.headers)
    assert again.status_code == 202, again.text
    assert again.json()["data"]["status"] == "pending"


async def test_a_redelivery_never_overwrites_a_workers_claim(hooks: Client, container: AsyncContainer) -> None:
    member = await signed_in(hooks, "hook-claimed@example.org")
    endpoint = await register(hooks, member, "http://127.0.0.1:9/never-called")
    await fan_out(container, event(EventType.DOCUMENT_READY, user_ids=(member.id,)))
    [listed] = await log_of(hooks, member, endpoint["id"])
    delivery_id = UUID(listed["id"])

    async def held_as(status: DeliveryStatus, attempts: int) -> None:  # as a worker's claim (and its outcome) would
        async with container() as scope:
            await (await scope.get(AsyncSession)).execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == delivery_id)
                .values(status=status.value, attempts=attempts)
            )
            await (await scope.get(UnitOfWork)).commit()

    await held_as(DeliveryStatus.DELIVERING, 1)
    redeliver = f"/api/v1/webhooks/{endpoint['id']}/deliveries/{delivery_id}/redeliver"
    refused = await hooks.post(redeliver, headers=member.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "WEBHOOK_DELIVERY_IN_FLIGHT"

    # the race itself: read before the claim (attempts 0), written after it, or after the claim settled
    [read] = await deliveries_of(container, [delivery_id])
    stale = replace(read, status=DeliveryStatus.PENDING, attempts=0)
    for status in (DeliveryStatus.DELIVERING, DeliveryStatus.FAILED):
        await held_as(status, 1)
        async with container() as scope:
            assert await (await scope.get(WebhookDeliveries)).requeue(stale, 0) is False
        assert [(d.status, d.attempts) for d in await deliveries_of(container, [delivery_id])] == [(status, 1)]

    again = await hooks.post(redeliver, headers=member.headers)  # failed and unclaimed: queued again
    assert again.status_code == 202, again.text
    assert again.json()["data"]["status"] == "pending"


async def test_ssrf_refusals_at_registration_and_at_delivery(
    settings: Settings, hooks: Client, container: AsyncContainer, hook_settings: Settings
) -> None:
    async with AsyncTestClient(app=create_app(settings)) as strict:  # no allow-list
        member = await signed_in(strict, "hook-ssrf@example.org")
        refusals = {
            "http://127.0.0.1:9/hook": "loopback",
            "http://localhost/hook": "loopback",
            "http://10.1.2.3/hook": "private",
            "http://192.168.0.10/hook": "private",
            "http://100.64.0.1/hook": "cgnat",
            "http://169.254.169.254/latest/meta-data": "metadata",
            "http://[fd00:ec2::254]/": "metadata",
            "http://[::1]/": "loopback",
            "http://[::ffff:127.0.0.1]/": "loopback",
            "http://0.0.0.0/": "unspecified",
            "http://224.0.0.1/": "multicast",
            "http://user:secret@8.8.8.8/": "credentials",
            "http://does-not-exist.invalid/": "unresolvable",
        }
        for url, reason in refusals.items():
            response = await strict.post(
                "/api/v1/webhooks", json={"url": url, "events": ["document.ready"]}, headers=member.headers
            )
            assert response.status_code == 422, (url, response.text)
            error = response.json()["error"]
            assert (error["code"], error["details"]["reason"]) == ("WEBHOOK_URL_REFUSED", reason), url
        not_http = await strict.post(
            "/api/v1/webhooks", json={"url": "ftp://8.8.8.8/x", "events": ["document.ready"]}, headers=member.headers
        )
        assert not_http.status_code == 422

    owner = await signed_in(hooks, "hook-redirect@example.org")
    with receiving(Receiver(statuses=[200])) as target, receiving(Receiver(statuses=[302])) as redirecting:
        redirecting.headers_out = {"location": target.url}
        endpoint = await register(hooks, owner, redirecting.url)
        redirecting.secrets = [endpoint["secret"]]
        await fan_out(container, event(EventType.DOCUMENT_READY, user_ids=(owner.id,)))
        await until(lambda: _tried(redirecting), "the redirecting receiver is called", work=lambda: rounds(container))
        [delivery] = await log_of(hooks, owner, endpoint["id"])
        assert delivery["response_code"] == 302
        assert "redirects are not followed" in delivery["error"]
        assert target.requests == []

        # DNS (or the allow-list) may change after registration: the address is checked again per attempt
        strict_container = build_container(msgspec.structs.replace(hook_settings, webhook_allowed_hosts=""))
        try:
            later = event(EventType.DOCUMENT_READY, user_ids=(owner.id,))
            await fan_out(strict_container, later)
            calls = len(redirecting.requests)
            await rounds(strict_container)
            log = await log_of(hooks, owner, endpoint["id"])
            refused = next(d for d in log if d["event_id"] == str(later.id))
            assert refused["error"].startswith("WEBHOOK_URL_REFUSED"), refused
            assert len(redirecting.requests) == calls
        finally:
            await strict_container.close()


async def _tried(receiver: Receiver) -> bool:
    return bool(receiver.requests)


async def test_owners_see_only_their_endpoints_and_hear_only_what_they_may_read(
    hooks: Client, container: AsyncContainer
) -> None:
    admin = await signed_in(hooks, "hook-admin@example.org", Role.ADMIN)
    reader = await signed_in(hooks, "hook-reader@example.org")
    outsider = await signed_in(hooks, "hook-outsider@example.org")
    collection = await new_collection(hooks, admin)
    added = await hooks.put(
        f"/api/v1/collections/{collection}/members/{reader.id}", json={"role": "viewer"}, headers=admin.headers
    )
    assert added.status_code == 200, added.text

    with receiving(Receiver()) as receiver:
        hooks_of = {who.email: await register(hooks, who, receiver.url) for who in (admin, reader, outsider)}
        # nobody sees (or changes) another's endpoint; an admin sees all
        theirs = hooks_of[reader.email]["id"]
        for method in ("GET", "DELETE"):
            response = await hooks.request(method, f"/api/v1/webhooks/{theirs}", headers=outsider.headers)
            assert response.status_code == 404, response.text
        listed = await hooks.get("/api/v1/webhooks", headers=outsider.headers)
        assert [item["id"] for item in listed.json()["data"]] == [hooks_of[outsider.email]["id"]]
        everyone = await hooks.get("/api/v1/webhooks", headers=admin.headers)
        assert everyone.json()["meta"]["total"] == 3
        for_someone = await hooks.post(
            "/api/v1/webhooks",
            json={"url": receiver.url, "events": ["job.completed"], "owner_id": reader.id},
            headers=outsider.headers,
        )
        assert for_someone.status_code == 404, for_someone.text

        ready = event(EventType.DOCUMENT_READY, collection_id=collection)
        await fan_out(container, ready)
        heard = {}
        for who in (admin, reader, outsider):
            log = await log_of(hooks, who, hooks_of[who.email]["id"])
            heard[who.email] = [item["event_id"] for item in log]
        assert heard == {admin.email: [str(ready.id)], reader.email: [str(ready.id)], outsider.email: []}

        # removed from the collection, the reader stops hearing about it at once
        removed = await hooks.delete(f"/api/v1/collections/{collection}/members/{reader.id}", headers=admin.headers)
        assert removed.status_code == 204, removed.text
        again = event(EventType.DOCUMENT_READY, collection_id=collection)
        await fan_out(container, again)
        assert [d["event_id"] for d in await log_of(hooks, reader, hooks_of[reader.email]["id"])] == [str(ready.id)]


async def key_of(client: Client, account: Account, *scopes: str) -> Account:
    created = await client.post(
        "/api/v1/api-keys", json={"name": "hooks", "scopes": list(scopes)}, headers=account.headers
    )
    assert created.status_code == 201, created.text
    return Account(account.id, account.email, created.json()["data"]["secret"], "")


async def test_an_endpoint_hears_no_more_than_the_credential_that_created_it_could_read(
    hooks: Client, container: AsyncContainer
) -> None:
    owner = await signed_in(hooks, "hook-owner@example.org", Role.ADMIN)
    admin = await signed_in(hooks, "hook-scoped-admin@example.org", Role.ADMIN)
    reader = await signed_in(hooks, "hook-scoped-reader@example.org")
    collection = await new_collection(hooks, owner)
    added = await hooks.put(
        f"/api/v1/collections/{collection}/members/{reader.id}", json={"role": "viewer"}, headers=owner.headers
    )
    assert added.status_code == 200, added.text

    with receiving(Receiver()) as receiver:
        full = await register(hooks, admin, receiver.url)
        # an admin's key below users:write has no admin reach; a key without documents:read reads no events
        below_admin = await register(
            hooks, await key_of(hooks, admin, "documents:read", "webhooks:manage"), receiver.url
        )
        admin_hooks_only = await register(hooks, await key_of(hooks, admin, "webhooks:manage"), receiver.url)
        reader_hooks_only = await register(hooks, await key_of(hooks, reader, "webhooks:manage"), receiver.url)
        ready = event(EventType.DOCUMENT_READY, collection_id=collection)
        named = event(EventType.DOCUMENT_READY, user_ids=(admin.id, reader.id))
        await fan_out(container, ready, named)
        heard = {
            name: [item["event_id"] for item in await log_of(hooks, admin if name != "reader" else reader, hook["id"])]
            for name, hook in (
                ("full", full),
                ("below_admin", below_admin),
                ("admin_hooks_only", admin_hooks_only),
                ("reader", reader_hooks_only),
            )
        }
        assert sorted(heard.pop("full")) == sorted([str(ready.id), str(named.id)])
        assert heard == {
            "below_admin": [str(named.id)],  # named in it, but no reader of the collection
            "admin_hooks_only": [],
            "reader": [],
        }


async def test_an_admin_held_back_by_the_mfa_rule_hears_only_what_a_member_would(
    hooks: Client, hook_settings: Settings, container: AsyncContainer
) -> None:
    owner = await signed_in(hooks, "hook-mfa-owner@example.org", Role.ADMIN)
    admin = await signed_in(hooks, "hook-no-mfa-admin@example.org", Role.ADMIN)
    collection = await new_collection(hooks, owner)
    with receiving(Receiver()) as receiver:
        endpoint = await register(hooks, admin, receiver.url)  # created before MFA_REQUIRED_FOR_ADMINS was set
        strict = build_container(msgspec.structs.replace(hook_settings, mfa_required_for_admins=True))
        try:
            blocked = event(EventType.DOCUMENT_READY, collection_id=collection)
            await fan_out(strict, blocked)
        finally:
            await strict.close()
        assert await log_of(hooks, owner, endpoint["id"]) == []
        # without the rule the same admin (and endpoint) hears every collection again
        lenient = event(EventType.DOCUMENT_READY, collection_id=collection)
        await fan_out(container, lenient)
        assert [item["event_id"] for item in await log_of(hooks, owner, endpoint["id"])] == [str(lenient.id)]


async def test_a_worker_killed_mid_delivery_leads_to_exactly_one_successful_delivery(
    hooks: Client, container: AsyncContainer, hook_settings: Settings, tmp_path: Path
) -> None:
    env = stores_env(
        hook_settings,
        tmp_path,
        WORKER_QUEUE=hook_settings.worker_queue,
        WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
        WEBHOOK_TIMEOUT_SECONDS="2",
        WEBHOOK_LEASE_SECONDS="12",  # the shortest the 2 s timeout allows: the survivor waits this long
        JOB_HEARTBEAT_SECONDS="3",  # the killed worker's cron job is swept soon, so the next one is scheduled
        JOB_SWEEP_SECONDS="1",
    )
    member = await signed_in(hooks, "hook-killed@example.org")
    with receiving(Receiver(hold_first=True)) as receiver:
        endpoint = await register(hooks, member, receiver.url)
        receiver.secrets = [endpoint["secret"]]
        sent = event(EventType.JOB_COMPLETED, user_ids=(member.id,))
        endpoint_events = await hooks.patch(
            f"/api/v1/webhooks/{endpoint['id']}", json={"events": ["job.completed"]}, headers=member.headers
        )
        assert endpoint_events.status_code == 200, endpoint_events.text
        await fan_out(container, sent)

        doomed = LoreProcess(env, "worker")
        try:
            deadline = asyncio.get_running_loop().time() + 180  # a loaded machine starts a process slowly
            while not receiver.held.is_set():
                assert asyncio.get_running_loop().time() < deadline, doomed.stderr[-4000:]
                assert doomed.popen.poll() is None, doomed.stderr[-4000:]
                await asyncio.sleep(0.05)
        finally:
            doomed.stop(signal.SIGKILL)
        receiver.release.set()  # its answer goes nowhere: the worker that asked is gone

        survivor = LoreProcess(env, "worker")
        try:

            async def succeeded() -> bool:
                log = await log_of(hooks, member, endpoint["id"])
                return bool(log) and log[0]["status"] == "succeeded"

            try:
                await until(succeeded, "the delivery succeeds on the second worker")
            except AssertionError as exc:
                raise AssertionError(f"{exc}; the second worker logged:\n{survivor.stderr[-4000:]}") from None
        finally:
            assert survivor.stop(signal.SIGTERM) == 0, survivor.stderr[-4000:]

    assert [r.webhook_id for r in receiver.requests] == [str(sent.id)] * 2  # the same webhook-id both times
    assert receiver.processed == {str(sent.id)}  # deduped: acted on once
    [delivery] = await log_of(hooks, member, endpoint["id"])
    assert (delivery["status"], delivery["attempts"]) == ("succeeded", 2)
    attempts = await attempts_of(hooks, member, endpoint["id"], delivery["id"])
    assert [(a["attempt"], a["response_code"]) for a in attempts] == [(1, None), (2, 200)]
    assert "lease ran out" in attempts[0]["error"]
    assert [d.status for d in await deliveries_of(container, [UUID(delivery["id"])])] == [DeliveryStatus.SUCCEEDED]


async def _lore(runner: CliRunner, *args: str) -> Result:
    """On a thread: the command runs its own event loop."""
    return await asyncio.to_thread(runner.invoke, cli, list(args))


async def test_the_operator_manages_webhooks_from_the_cli(
    lore: CliRunner, hooks: Client, container: AsyncContainer
) -> None:
    member = await signed_in(hooks, "hook-cli@example.org")
    created = await _lore(
        lore, "webhooks", "create", "--email", member.email, "--url", "https://8.8.8.8/cli", "--event", "job.failed"
    )
    assert created.exit_code == 0, created.output
    webhook_id, secret = created.stdout.split()
    assert secret.startswith("whsec_")
    listed = await _lore(lore, "webhooks", "list")
    assert webhook_id in listed.output
    assert "job.failed" in listed.output
    assert secret not in listed.output

    rotated = await _lore(lore, "webhooks", "rotate", webhook_id)
    assert rotated.exit_code == 0, rotated.output
    assert rotated.stdout.split()[0] != secret

    failed = event(EventType.JOB_FAILED, user_ids=(member.id,))
    await fan_out(container, failed)
    deliveries = await _lore(lore, "webhooks", "deliveries", webhook_id)
    assert "job.failed" in deliveries.output
    assert "pending" in deliveries.output
    delivery_id = deliveries.stdout.split()[0]
    assert (await _lore(lore, "webhooks", "redeliver", webhook_id, delivery_id)).exit_code == 0

    refused = await _lore(
        lore, "webhooks", "create", "--email", member.email, "--url", "http://10.0.0.1/", "--event", "job.failed"
    )
    assert refused.exit_code == 1
    assert "WEBHOOK_URL_REFUSED" in refused.output
    assert (await _lore(lore, "webhooks", "delete", webhook_id)).exit_code == 0
    assert webhook_id not in (await _lore(lore, "webhooks", "list")).output
    missing = await _lore(lore, "webhooks", "rotate", webhook_id)
    assert missing.exit_code == 1
    assert "WEBHOOK_NOT_FOUND" in missing.output


async def test_after_a_change_of_the_sealing_key_deliveries_fail_until_the_secret_is_rotated(
    hooks: Client, hook_settings: Settings
) -> None:
    member = await signed_in(hooks, "hook-rekeyed@example.org")
    with receiving(Receiver()) as receiver:
        endpoint = await register(hooks, member, receiver.url)
        rekeyed = build_container(msgspec.structs.replace(hook_settings, webhook_secrets_key="another-key-" + "k" * 30))
        try:
            await fan_out(rekeyed, event(EventType.DOCUMENT_READY, user_ids=(member.id,)))
            await rounds(rekeyed)
            [delivery] = await log_of(hooks, member, endpoint["id"])  # still listed, no 500
            assert "cannot be unsealed" in delivery["error"]
            assert receiver.requests == []
            async with rekeyed() as scope:
                rotated = await (await scope.get(RotateWebhookSecret)).execute(
                    Principal(UUID(member.id), Role.MEMBER), UUID(endpoint["id"])
                )
            assert rotated.endpoint.secrets.previous is None  # the unreadable one is dropped
        finally:
            await rekeyed.close()


async def test_job_events_reach_only_endpoints_made_by_a_credential_that_may_use_the_assistant(
    hooks: Client, container: AsyncContainer
) -> None:
    member = await signed_in(hooks, "hook-assistant@example.org")
    kinds = (EventType.JOB_COMPLETED, EventType.DOCUMENT_READY)
    with receiving(Receiver()) as receiver:
        session_made = await register(hooks, member, receiver.url, *kinds)
        key = await key_of(hooks, member, "documents:read", "webhooks:manage")  # no assistant:use
        key_made = await register(hooks, key, receiver.url, *kinds)
        job = event(EventType.JOB_COMPLETED, user_ids=(member.id,))
        ready = event(EventType.DOCUMENT_READY, user_ids=(member.id,))
        await fan_out(container, job, ready)
        heard = {
            name: sorted(item["event_id"] for item in await log_of(hooks, member, hook["id"]))
            for name, hook in (("session", session_made), ("key", key_made))
        }
    assert heard == {"session": sorted([str(job.id), str(ready.id)]), "key": [str(ready.id)]}
