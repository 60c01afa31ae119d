"""Process-level operations the CLI and worker need, kept here so they reach adapters only via bootstrap."""

from __future__ import annotations

from saq.queue.redis import RedisQueue

from adapters.persistence import migrations
from adapters.queue.saq_queue import create_queue
from entrypoints.bootstrap.settings import Settings


def migrate(settings: Settings, revision: str = "head") -> None:
    migrations.upgrade(settings.require_database_url, revision)


def downgrade(settings: Settings, revision: str) -> None:
    migrations.downgrade(settings.require_database_url, revision)


def job_queue(settings: Settings) -> RedisQueue:
    return create_queue(settings.require_redis_url, settings.worker_queue)
