"""`lore ingest`, `lore jobs`, `lore reindex`: bulk operations for operators."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import click

from application.knowledge.ports import JobStatus
from entrypoints.cli.identity import run
from entrypoints.cli.terminal import safe

if TYPE_CHECKING:  # types only: `--help` imports neither dishka nor the use cases
    from dishka import AsyncContainer

    from domain.knowledge.models import Collection

COLLECTION_HELP = "The collection: its id, its name, or OWNER-EMAIL/NAME when several owners use the name."


async def _collection_named(container: AsyncContainer, reference: str) -> Collection:
    from application.knowledge.collections import FindCollection
    from domain.identity.principal import Principal

    async with container() as scope:
        return await (await scope.get(FindCollection)).execute(Principal.operator(), reference)


async def _chunks_of(file: Path, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    """The file a chunk at a time: a large one is never held whole."""
    import asyncio

    with file.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, size):
            yield chunk


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.parts))


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--collection", "collection_name", required=True, help=COLLECTION_HELP)
def ingest(path: Path, collection_name: str) -> None:
    """Add a file, or every supported file under a folder, to a collection."""

    from application.knowledge.documents import AddDocument, NewDocument
    from domain.identity.principal import Principal
    from domain.knowledge.formats import SUFFIXES
    from domain.shared.errors import DomainError

    files = _files(path)
    labels = {file: str(file.relative_to(path) if path.is_dir() else file.name) for file in files}

    async def operation(container: AsyncContainer) -> Counter[str]:
        collection = await _collection_named(container, collection_name)
        outcome: Counter[str] = Counter()
        with click.progressbar(length=len(files), label="ingesting", file=sys.stderr) as bar:
            for file in files:
                bar.update(1)
                content_type = SUFFIXES.get(file.suffix.lower())
                if content_type is None:
                    outcome["skipped (unsupported type)"] += 1
                    continue
                document = NewDocument(
                    title=file.stem.replace("_", " ").replace("-", " ") or file.name,
                    content_type=content_type,
                    source=_chunks_of(file),
                    metadata={"path": labels[file]},
                    filename=file.name,
                )
                try:
                    async with container() as scope:
                        await (await scope.get(AddDocument)).execute(Principal.operator(), collection.id, document)
                    outcome["queued"] += 1
                except DomainError as exc:
                    outcome[exc.code.lower().replace("_", " ")] += 1
        return outcome

    outcome = run(operation)
    width = max((len(k) for k in outcome), default=6)
    click.echo(f"{'result':<{width}}  files")
    for result, count in sorted(outcome.items()):
        click.echo(f"{result:<{width}}  {count:>5}")
    click.echo(f"{'total':<{width}}  {len(files):>5}")


@click.group()
def jobs() -> None:
    """Inspect and retry ingestion jobs."""


@jobs.command(name="list")
@click.option("--status", type=click.Choice([s.value for s in JobStatus]), default=None)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
def list_jobs(status: str | None, limit: int) -> None:
    """Most recent jobs first."""
    from application.knowledge.jobs import ListJobs
    from domain.identity.principal import Principal

    async def operation(container: AsyncContainer) -> list[str]:
        async with container() as scope:
            found = await (await scope.get(ListJobs)).execute(
                Principal.operator(), JobStatus(status) if status else None, limit
            )
        return [
            f"{job.id}  {job.status.value:<8} attempts={job.attempts}  document={job.document_id}"
            + (f"  error={safe(job.last_error)}" if job.last_error else "")
            for job in found
        ]

    for line in run(operation):
        click.echo(line)


@jobs.command(name="retry")
@click.argument("job_id", type=click.UUID)
def retry_job(job_id: UUID) -> None:
    """Ingest the job's document again."""
    from application.knowledge.jobs import RetryJob
    from domain.identity.principal import Principal

    async def operation(container: AsyncContainer) -> UUID:
        async with container() as scope:
            return (await (await scope.get(RetryJob)).execute(Principal.operator(), job_id)).id

    click.echo(f"queued as job {run(operation)}")


@click.command()
@click.option("--collection", "collection_name", required=True, help=COLLECTION_HELP)
def reindex(collection_name: str) -> None:
    """Re-ingest every document of a collection (e.g. after configuring embeddings)."""
    from application.knowledge.jobs import Reindex
    from domain.identity.principal import Principal

    async def operation(container: AsyncContainer) -> int:
        collection = await _collection_named(container, collection_name)
        async with container() as scope:
            return await (await scope.get(Reindex)).execute(Principal.operator(), collection.id)

    click.echo(f"queued {run(operation)} documents")
