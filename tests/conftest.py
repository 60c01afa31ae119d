"""One embedded Postgres and one Redis per test run; every test starts from clean stores."""

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

from adapters.embedded.postgres import EmbeddedPostgres
from adapters.embedded.redis import EmbeddedRedis
from adapters.persistence import tables as _all_tables  # noqa: F401 - every table on the metadata
from adapters.persistence.base import metadata
from adapters.persistence.engine import create_engine
from adapters.redis.client import create_redis
from entrypoints.bootstrap.settings import Environment, Settings
from entrypoints.bootstrap.telemetry import setup_tracing
from entrypoints.http.app import create_app
from tests.support.stores import migrated_stores

pytest_plugins = ["tests.e2e.knowledge_support"]

TEST_DATABASE = "lore_test"
SPANS = InMemorySpanExporter()


class Stores:
    def __init__(self, postgres: EmbeddedPostgres, redis: EmbeddedRedis) -> None:
        self.postgres = postgres
        self.redis = redis

    @property
    def database_url(self) -> str:
        return self.postgres.url(TEST_DATABASE)


@pytest.fixture(scope="session")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    with migrated_stores(tmp_path_factory.mktemp("stores"), TEST_DATABASE) as (postgres, redis):
        yield Stores(postgres, redis)


@pytest.fixture(scope="session")
def settings(stores: Stores, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(
        lore_env=Environment.TEST,
        lore_data_dir=tmp_path_factory.mktemp("data"),
        database_url=stores.database_url,
        redis_url=stores.redis.url,
        jwt_secret="test-secret-" + "x" * 40,
        log_level="DEBUG",
        database_pool_size=5,
        worker_shutdown_grace_seconds=1,
        # tests make many requests from one address; the limiter's own tests set low limits
        rate_limit_read=100_000,
        rate_limit_write=100_000,
        rate_limit_expensive=100_000,
    )
    setup_tracing(settings, SimpleSpanProcessor(SPANS))
    return settings


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
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


@pytest.fixture
async def mail_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The API with the worker running in-process, so queued emails reach the dev mailbox."""
    async with AsyncTestClient(app=create_app(settings, run_worker=True)) as client:
        yield client
