"""`lore status`: are the background workers alive, and how much work waits."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from entrypoints.cli.identity import run

if TYPE_CHECKING:
    from dishka import AsyncContainer  # a type only: `--help` does not import dishka

    from application.platform.worker_status import WorkerStatus


def _age(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.0f}s"


def _as_json(status: WorkerStatus) -> str:
    return json.dumps(
        {
            "healthy": status.healthy,
            "checked_at": status.checked_at.isoformat(),
            "queues": [
                {
                    "name": queue.name,
                    "queued": queue.queued,
                    "active": queue.active,
                    "scheduled": queue.scheduled,
                    "oldest_waiting_seconds": queue.oldest_waiting_seconds,
                    "workers": [
                        {
                            "worker_id": worker.worker_id,
                            "alive": worker.alive,
                            "last_seen": worker.last_seen.isoformat(),
                            "completed": worker.completed,
                            "failed": worker.failed,
                        }
                        for worker in queue.workers
                    ],
                }
                for queue in status.queues
            ],
        },
        indent=2,
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def status(as_json: bool) -> None:
    """Worker heartbeats, queue depths and the oldest waiting job; exit 1 when a queue has no live worker."""

    from application.platform.worker_status import GetWorkerStatus

    async def operation(container: AsyncContainer) -> WorkerStatus:
        return await (await container.get(GetWorkerStatus)).execute()

    result = run(operation)
    if as_json:
        click.echo(_as_json(result))
    else:
        for queue in result.queues:
            click.echo(
                f"queue {queue.name}: {queue.queued} queued, {queue.active} active, {queue.scheduled} scheduled, "
                f"oldest waiting {_age(queue.oldest_waiting_seconds)}, {queue.alive_workers} worker(s) alive"
            )
            for worker in queue.workers:
                state = "alive" if worker.alive else "STALE"
                seen = (result.checked_at - worker.last_seen).total_seconds()
                click.echo(
                    f"  worker {worker.worker_id}: {state}, last seen {seen:.0f}s ago, "
                    f"{worker.completed} done, {worker.failed} failed"
                )
            if queue.alive_workers == 0:
                click.echo(f"  no live worker: jobs on {queue.name} are not being run", err=True)
    if not result.healthy:
        sys.exit(1)
