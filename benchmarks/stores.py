"""Embedded Postgres (migrated) and Redis for one benchmark run, and settings pointing at them."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.embedded.postgres import EmbeddedPostgres
from adapters.embedded.redis import EmbeddedRedis
from adapters.persistence import migrations
from entrypoints.bootstrap.settings import Environment, Settings


@dataclass(frozen=True)
class BenchStores:
    directory: Path
    database_url: str
    redis_url: str

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "lore_env": Environment.TEST,
            "lore_data_dir": self.directory / "data",
            "database_url": self.database_url,
            "redis_url": self.redis_url,
            "jwt_secret": "b" * 48,
            "log_level": "WARNING",
            "rate_limit_enabled": False,  # one client address drives all the traffic
        }
        return Settings(**(values | overrides))


@asynccontextmanager
async def bench_stores() -> AsyncIterator[BenchStores]:
    with tempfile.TemporaryDirectory(prefix="lore-bench-") as tmp:
        postgres = EmbeddedPostgres(Path(tmp) / "pg", database="bench")
        redis = EmbeddedRedis(Path(tmp) / "redis")
        postgres.start()
        redis.start()
        try:
            await postgres.ensure_database()
            await asyncio.to_thread(migrations.upgrade, postgres.url())
            yield BenchStores(Path(tmp), postgres.url(), redis.url)
        finally:
            redis.stop()
            postgres.stop()
