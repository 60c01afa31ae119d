"""Process-level operations the CLI and worker need, kept here so they reach adapters only via bootstrap."""

from __future__ import annotations

from adapters.persistence import migrations
from adapters.queue.health import WORKER_INFO_SECONDS
from adapters.queue.saq_queue import JobQueue, create_queue
from entrypoints.bootstrap.settings import Settings

__all__ = ["WORKER_INFO_SECONDS", "JobQueue", "downgrade", "job_queue", "migrate"]


def migrate(settings: Settings, revision: str = "head") -> None:
    migrations.upgrade(settings.require_database_url, revision)


def downgrade(settings: Settings, revision: str) -> None:
    migrations.downgrade(settings.require_database_url, revision)


def job_queue(settings: Settings) -> JobQueue:
    return create_queue(
        settings.require_redis_url, settings.worker_queue, job_heartbeat_seconds=settings.job_heartbeat_seconds
    )
