"""The real app over HTTP on the embedded stores, with the provider doubles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from redis import Redis

from entrypoints.bootstrap.settings import Settings
from tests.e2e.knowledge_support import ask_client, kb_client, kb_settings, llm_settings  # noqa: F401 - fixtures
from tests.support.app_fixtures import (  # noqa: F401 - fixtures, found by name
    _isolate_stores,
    app,
    clean_stores,
    client,
    engine,
    mail_client,
    redis_client,
    settings,
    spans,
    stores,
)
from tests.support.double_fixtures import chat_doubles, embeddings_double  # noqa: F401 - fixtures
from tests.support.log_capture import json_log  # noqa: F401 - a fixture
from tests.support.processes import serving, stores_env


@pytest.fixture
def lore(settings: Settings, tmp_path: Path) -> CliRunner:  # noqa: F811 - the fixture, by name
    """The `lore` command in-process (click's runner) on the test stores."""
    return CliRunner(
        env={
            "LORE_ENV": "test",
            "LORE_DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": settings.require_database_url,
            "REDIS_URL": settings.require_redis_url,
            "JWT_SECRET": settings.jwt_secret,
            "PASSWORD_HASHING": settings.password_hashing,
        }
    )


@pytest.fixture(scope="module")
def lore_api(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: F811
    """The base URL of a plain `lore serve` on the test stores, for the tests of one module that only read from
    it. Not for the whole run: every process shares its metrics through Redis, so a server left running would
    show up in the scrapes of test_metrics_processes.py."""
    with serving(stores_env(settings, tmp_path_factory.mktemp("lore-api"))) as (_, url):
        yield url
    # what it shared on its way out, after the last test's flush (a test's own server stops before that flush)
    with Redis.from_url(settings.require_redis_url) as redis:
        redis.flushdb()
