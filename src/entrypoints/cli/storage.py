"""`lore storage`: moving originals between the database and the blob store, and sweeping unused blobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from entrypoints.cli.identity import run

if TYPE_CHECKING:  # types only: `--help` imports neither dishka nor the use cases
    from dishka import AsyncContainer


@click.group()
def storage() -> None:
    """Originals in the blob store (STORAGE_URL)."""


@storage.command(name="migrate-originals")
@click.option("--batch-size", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--back", is_flag=True, help="Copy originals from the blob store into the database (before a downgrade).")
def migrate_originals(batch_size: int, back: bool) -> None:
    """Move originals still held in the database into the blob store (safe to run again, and beside the API)."""
    from application.knowledge.storage import MigrateOriginals, MovedOriginals

    async def operation(container: AsyncContainer) -> MovedOriginals:
        async with container() as scope:
            migrate = await scope.get(MigrateOriginals)
            return await (migrate.back(batch_size) if back else migrate.execute(batch_size))

    moved = run(operation)
    where = "into the database" if back else "to the blob store"
    click.echo(f"{moved.moved} originals ({moved.bytes} bytes) copied {where}")


@storage.command()
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@click.option(
    "--orphans",
    is_flag=True,
    help="Also list the whole store for blobs no document references (left by uploads cut short).",
)
@click.option(
    "--older-than-hours",
    type=click.FloatRange(0),
    default=24.0,
    show_default=True,
    help="With --orphans: only blobs written this long ago (younger ones may be uploads in flight).",
)
def sweep(limit: int, orphans: bool, older_than_hours: float) -> None:
    """Remove blobs that no document references any more (the worker does this every few minutes)."""
    from datetime import UTC, datetime, timedelta

    from application.knowledge.storage import BlobCollector

    async def operation(container: AsyncContainer) -> int:
        async with container() as scope:
            collector = await scope.get(BlobCollector)
            removed = await collector.sweep(limit)
            if orphans:
                removed += await collector.sweep_orphans(datetime.now(UTC) - timedelta(hours=older_than_hours))
            return removed

    click.echo(f"{run(operation)} blobs removed")
