"""`lore webhooks`: signed webhook endpoints, as the operator (who sees and manages every one)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

import click

from entrypoints.cli.identity import run
from entrypoints.cli.terminal import safe

if TYPE_CHECKING:
    from dishka import AsyncContainer  # a type only: `--help` does not import dishka

# the event names, spelled here so `--help` imports nothing beyond click (domain.shared.events has them)
EVENTS = click.Choice(
    [
        "document.ready",
        "document.failed",
        "document.deleted",
        "job.completed",
        "job.failed",
        "conversation.reply.completed",
        "collection.member.added",
        "collection.member.removed",
    ]
)


@click.group()
def webhooks() -> None:
    """Signed webhook endpoints and their delivery log."""


@webhooks.command(name="list")
def list_webhooks() -> None:
    """Every endpoint: id, owner, state, events, URL."""
    from application.shared.ports import PageRequest
    from application.webhooks.endpoints import ListWebhooks
    from domain.identity.principal import Principal

    async def operation(container: AsyncContainer) -> list[str]:
        async with container() as scope:
            page = await (await scope.get(ListWebhooks)).execute(Principal.operator(), PageRequest(limit=100))
        return [
            f"{hook.id}  owner {hook.owner_id}  {'enabled ' if hook.enabled else 'disabled'}"
            f"  {','.join(sorted(hook.event_types))}  {safe(hook.url)}"
            for hook in page.items
        ]

    for line in run(operation):
        click.echo(line)


@webhooks.command(name="create")
@click.option("--email", required=True, help="Owner: the endpoint hears only what they may read (admins: all).")
@click.option("--url", required=True, help="http(s) URL resolving to public addresses.")
@click.option("--event", "events", type=EVENTS, multiple=True, required=True, help="Repeat for several.")
@click.option("--description", default="", help="What the endpoint is for.")
def create_webhook(email: str, url: str, events: tuple[str, ...], description: str) -> None:
    """Register an endpoint for a user; prints its signing secret once."""
    from application.webhooks.endpoints import CreateWebhook, NewWebhook
    from domain.identity.principal import Principal
    from domain.shared.events import EventType
    from entrypoints.cli.identity import user_by_email

    async def operation(container: AsyncContainer) -> str:
        owner = await user_by_email(container, email)
        new = NewWebhook(url, frozenset(EventType(e) for e in events), description, owner_id=owner.id)
        async with container() as scope:
            created = await (await scope.get(CreateWebhook)).execute(Principal.operator(), new)
        return f"{created.endpoint.id}  {created.secret}"

    click.echo(run(operation))
    click.echo("store the secret now: it is not shown again", err=True)


@webhooks.command(name="delete")
@click.argument("webhook_id", type=click.UUID)
def delete_webhook(webhook_id: UUID) -> None:
    """Delete an endpoint and its delivery log."""
    from application.webhooks.endpoints import DeleteWebhook
    from domain.identity.principal import Principal

    async def operation(container: AsyncContainer) -> None:
        async with container() as scope:
            await (await scope.get(DeleteWebhook)).execute(Principal.operator(), webhook_id)

    run(operation)
    click.echo(f"deleted {webhook_id}")


@webhooks.command(name="rotate")
@click.argument("webhook_id", type=click.UUID)
def rotate_webhook(webhook_id: UUID) -> None:
    """A new signing secret, printed once; the old one keeps signing for WEBHOOK_ROTATION_OVERLAP_SECONDS."""
    from application.webhooks.endpoints import RotateWebhookSecret
    from domain.identity.principal import Principal

    async def operation(container: AsyncContainer) -> str:
        async with container() as scope:
            rotated = await (await scope.get(RotateWebhookSecret)).execute(Principal.operator(), webhook_id)
        until = rotated.endpoint.secrets.previous_expires_at
        return f"{rotated.secret}  (the previous secret signs too until {until.isoformat() if until else 'now'})"

    click.echo(run(operation))


@webhooks.command(name="deliveries")
@click.argument("webhook_id", type=click.UUID)
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
def list_deliveries(webhook_id: UUID, limit: int) -> None:
    """The endpoint's newest deliveries: id, event, status, attempts, last response code and latency."""
    from application.shared.ports import PageRequest
    from application.webhooks.endpoints import ListDeliveries
    from domain.identity.principal import Principal

    async def operation(container: AsyncContainer) -> list[str]:
        async with container() as scope:
            page = await (await scope.get(ListDeliveries)).execute(
                Principal.operator(), webhook_id, PageRequest(limit=limit)
            )
        return [
            f"{d.id}  {d.event_type.value:<28} {d.status.value:<10} attempts {d.attempts}"
            f"  code {d.last_status_code if d.last_status_code is not None else '-'}"
            f"  {d.last_latency_ms if d.last_latency_ms is not None else '-'} ms  {safe(d.last_error or '')}"
            for d in page.items
        ]

    for line in run(operation):
        click.echo(line)


@webhooks.command(name="redeliver")
@click.argument("webhook_id", type=click.UUID)
@click.argument("delivery_id", type=click.UUID)
def redeliver(webhook_id: UUID, delivery_id: UUID) -> None:
    """Send a delivery again (same webhook-id), from the start of the retry schedule."""
    from application.webhooks.endpoints import Redeliver
    from domain.identity.principal import Principal

    async def operation(container: AsyncContainer) -> None:
        async with container() as scope:
            await (await scope.get(Redeliver)).execute(Principal.operator(), webhook_id, delivery_id)

    run(operation)
    click.echo(f"queued {delivery_id} again")
