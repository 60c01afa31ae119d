"""Embedded Postgres and Redis in a folder of their own, the database created and migrated."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from adapters.embedded.postgres import EmbeddedPostgres
from adapters.embedded.redis import EmbeddedRedis
from adapters.persistence import migrations


@contextmanager
def migrated_stores(root: Path, database: str) -> Iterator[tuple[EmbeddedPostgres, EmbeddedRedis]]:
    """Both stores running in ``root`` until the block ends (a test run, a fault test, a soak)."""
    postgres = EmbeddedPostgres(root / "postgres", database=database)
    redis = EmbeddedRedis(root / "redis")
    postgres.start()
    redis.start()
    try:
        asyncio.run(postgres.ensure_database())
        migrations.upgrade(postgres.url())
        yield postgres, redis
    finally:
        redis.stop()
        postgres.stop()
