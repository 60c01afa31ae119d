"""`lore keys ...`: the access-token signing keys (list, rotate, prune)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from entrypoints.cli.identity import run

if TYPE_CHECKING:  # types only: `--help` imports neither dishka nor the use cases
    from dishka import AsyncContainer

    from application.identity.signing_keys import KeyStatus, Rotation


def _when(moment: object) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S}Z"


async def _audited(container: AsyncContainer, added: str | None, removed: list[str], **details: Any) -> None:
    """The operator's key changes in the audit log (the store commits them on its own, before)."""
    from application.identity.audit import Auditor
    from application.shared.ports import UnitOfWork
    from domain.identity.models import AuditAction
    from domain.identity.principal import Principal

    async with container() as scope:
        auditor = await scope.get(Auditor)
        if added is not None:
            await auditor.record(AuditAction.SIGNING_KEY_ADDED, actor=Principal.operator(), kid=added, **details)
        for kid in removed:
            await auditor.record(AuditAction.SIGNING_KEY_REMOVED, actor=Principal.operator(), kid=kid, **details)
        await (await scope.get(UnitOfWork)).commit()


@click.group()
def keys() -> None:
    """Manage the keys that sign access tokens (their public halves: /.well-known/jwks.json)."""


@keys.command(name="list")
def list_keys() -> None:
    """Every stored key: kid, state, created, signs from, retired at."""
    from application.identity.signing_keys import ManageSigningKeys

    async def operation(container: AsyncContainer) -> list[KeyStatus]:
        return await (await container.get(ManageSigningKeys)).list()

    for status in run(operation, lean=True):
        key = status.key
        click.echo(
            f"{key.kid}  {status.state.value:<8} {key.algorithm:<6} created {_when(key.created_at)}"
            f"  signs from {_when(key.activates_at)}  retired {_when(key.retired_at)}"
        )


@keys.command()
@click.option(
    "--now",
    "at_once",
    is_flag=True,
    help="Sign with the new key at once (a compromised key): processes that have not reloaded their keys yet "
    "refuse its tokens until they do (at most SIGNING_KEYS_REFRESH_SECONDS).",
)
def rotate(at_once: bool) -> None:
    """Add a key that signs once every process has loaded it; the current key retires then and keeps
    verifying until the tokens it signed have expired. Keys past that are removed."""
    from application.identity.signing_keys import ManageSigningKeys

    async def operation(container: AsyncContainer) -> Rotation:
        rotation = await (await container.get(ManageSigningKeys)).rotate(at_once=at_once)
        await _audited(container, rotation.added.kid, list(rotation.removed), at_once=at_once)
        return rotation

    rotation = run(operation, lean=True)
    for kid in rotation.removed:
        click.echo(f"removed {kid}")
    click.echo(f"added {rotation.added.kid}: signs from {_when(rotation.added.activates_at)}")


@keys.command()
def prune() -> None:
    """Remove the retired keys no live token can have been signed with."""
    from application.identity.signing_keys import ManageSigningKeys

    async def operation(container: AsyncContainer) -> list[str]:
        removed = await (await container.get(ManageSigningKeys)).prune()
        await _audited(container, None, removed, reason="expired")
        return removed

    removed = run(operation, lean=True)
    for kid in removed:
        click.echo(f"removed {kid}")
    if not removed:
        click.echo("nothing to remove")


@keys.command()
@click.argument("kid")
def remove(kid: str) -> None:
    """Remove a key at once (a compromised one): the tokens it signed stop verifying at each process's next
    reload of the keys. The key that signs now cannot be removed: `rotate --now` first."""
    from application.identity.signing_keys import ManageSigningKeys

    async def operation(container: AsyncContainer) -> None:
        await (await container.get(ManageSigningKeys)).remove(kid)
        await _audited(container, None, [kid], reason="removed by the operator")

    run(operation, lean=True)
    click.echo(f"removed {kid}")
