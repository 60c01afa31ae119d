"""`lore audit verify`: walks the audit log's hash chain."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from entrypoints.cli.identity import run

if TYPE_CHECKING:
    from dishka import AsyncContainer  # a type only: `--help` does not import dishka

    from application.identity.ports import ChainReport


@click.group()
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command()
def verify() -> None:
    """Check every link of the audit chain; exit 1 at the first broken one (an edited or deleted row)."""

    from application.identity.audit import VerifyAuditChain

    async def operation(container: AsyncContainer) -> ChainReport:
        async with container() as scope:
            return await (await scope.get(VerifyAuditChain)).execute()

    report = run(operation, lean=True)
    if report.broken is not None:
        broken = report.broken
        click.echo(
            f"audit chain BROKEN at link {broken.seq} ({broken.reason}): {broken.message}"
            f" ({report.checked} links before it are intact)",
            err=True,
        )
        sys.exit(1)
    click.echo(f"audit chain intact: {report.checked} links, head {report.head_hash}")
