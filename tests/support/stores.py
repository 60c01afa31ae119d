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


TEST_DATABASE = "lore_test"


class Stores:
    """The test run's embedded stores, as the ``stores`` fixture hands them out."""

    def __init__(self, postgres: EmbeddedPostgres, redis: EmbeddedRedis) -> None:
        self.postgres = postgres
        self.redis = redis

    @property
    def database_url(self) -> str:
        return self.postgres.url(TEST_DATABASE)
