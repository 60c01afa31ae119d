"""Fixtures for the tests that need the real stores and app (e2e and integration).

Both conftests import these names, so pytest sees two definitions of each. The stores
themselves are started once per run and kept on the pytest config, so a whole-suite run
still starts one Postgres and one Redis; the definition that started them stops them. Session
fixtures are torn down in reverse order of set-up, so that one goes last.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence import tables as _all_tables  # noqa: F401 - every table on the metadata
from adapters.persistence.base import metadata
from adapters.persistence.engine import create_engine
from adapters.redis.client import create_redis
from entrypoints.bootstrap.settings import Environment, Settings
from entrypoints.bootstrap.telemetry import setup_tracing
from entrypoints.http.app import create_app
from tests.support.stores import TEST_DATABASE, Stores, migrated_stores

SPANS = InMemorySpanExporter()
# one processor object: setup_tracing attaches each once, and both conftests' settings fixtures pass it
_SPANS_PROCESSOR = SimpleSpanProcessor(SPANS)
_RUNNING_STORES = pytest.StashKey[Stores]()
_DATA_DIR = pytest.StashKey[Path]()


@pytest.fixture(scope="session")
def stores(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    """One embedded Postgres and one Redis per test run."""
    config = request.config
    if _RUNNING_STORES in config.stash:  # started by the other conftest's definition, which stops them
        yield config.stash[_RUNNING_STORES]
        return
    with migrated_stores(tmp_path_factory.mktemp("stores"), TEST_DATABASE) as (postgres, redis):
        config.stash[_RUNNING_STORES] = Stores(postgres, redis)
        yield config.stash[_RUNNING_STORES]


@pytest.fixture(scope="session")
def settings(
    request: pytest.FixtureRequest, stores: Stores, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    # one data dir per run, like the stores: both conftests' settings (and so every app and every `lore`
    # process a test starts) keep the originals in the same blob store
    if _DATA_DIR not in request.config.stash:
        request.config.stash[_DATA_DIR] = tmp_path_factory.mktemp("data")
    settings = Settings(
        lore_env=Environment.TEST,
        lore_data_dir=request.config.stash[_DATA_DIR],
        database_url=stores.database_url,
        redis_url=stores.redis.url,
        jwt_secret="test-secret-" + "x" * 40,
        log_level="DEBUG",
        database_pool_size=5,
        worker_shutdown_grace_seconds=1,
        password_hashing="fast",  # thousands of accounts; the OWASP cost is tested in test_security_adapters.py
        # tests make many requests from one address; the limiter's own tests set low limits
        rate_limit_read=100_000,
        rate_limit_write=100_000,
        rate_limit_expensive=100_000,
    )
    # attaches the in-memory exporter to the process-wide provider, even when an app built from other settings
    # (test_store_outages.py's private stores) installed that provider first
    setup_tracing(settings, _SPANS_PROCESSOR)
    # `lore` processes the tests start (workers, servers) get their environment from this one: they read and
    # write the originals where the in-process app does, whatever data dir they are given
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STORAGE_URL", settings.storage_location)
        yield settings


@pytest.fixture
def spans() -> InMemorySpanExporter:
    SPANS.clear()
    return SPANS


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.require_database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def redis_client(settings: Settings) -> AsyncIterator[Redis]:
    client = create_redis(settings.require_redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def clean_stores(engine: AsyncEngine, redis_client: Redis, settings: Settings) -> AsyncIterator[None]:
    """Truncate every table, flush Redis and empty the dev mailbox after the test."""
    yield
    shutil.rmtree(settings.mailbox_dir, ignore_errors=True)
    tables = [table.name for table in metadata.sorted_tables]
    if tables:
        async with engine.begin() as connection:
            names = ", ".join(f'"{name}"' for name in tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await redis_client.flushdb()


@pytest.fixture(autouse=True)
def _isolate_stores(request: pytest.FixtureRequest) -> None:
    """Every test that uses the stores gets them clean."""
    if "settings" in request.fixturenames:
        request.getfixturevalue("clean_stores")


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as client:
        yield client


@pytest.fixture
async def mail_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The API with the worker running in-process, so queued emails reach the dev mailbox."""
    async with AsyncTestClient(app=create_app(settings, run_worker=True)) as client:
        yield client
