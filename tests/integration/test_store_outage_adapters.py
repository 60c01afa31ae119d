"""Adapters on a store that is down: the limiter and quota fail closed, the answer and query-embedding
caches fail open, the engine reports connection failures as DependencyUnavailableError and leaves SQL errors alone."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast
from uuid import uuid4

import pytest
import sqlalchemy.exc
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.embedded.redis import EmbeddedRedis
from adapters.outages import failed_dependency
from adapters.persistence.engine import create_engine
from adapters.queue.saq_queue import create_queue
from adapters.redis.assistant_store import RedisAnswerCache, RedisQuotaLedger
from adapters.redis.attempt_limiter import RedisAttemptLimiter
from adapters.redis.client import create_redis
from adapters.redis.query_embeddings import RedisQueryEmbeddingCache
from application.assistant.ports import CachedAnswer
from domain.assistant.models import Usage
from domain.shared.errors import DependencyUnavailableError
from tests.support.servers import free_port
from tests.support.stores import Stores

ANSWER = CachedAnswer("Forty days.", Usage(10, 3), "openai", "gpt-test")
TOMORROW = datetime.now(UTC) + timedelta(days=1)


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[tuple[EmbeddedRedis, Redis]]:
    """A Redis of this test's own, so stopping it disturbs no other test."""
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    client = create_redis(server.url)
    try:
        yield server, client
    finally:
        await client.aclose()
        server.stop()


async def test_limiter_and_quota_fail_closed_while_redis_is_down(
    private_redis: tuple[EmbeddedRedis, Redis],
) -> None:
    server, client = private_redis
    limiter, quota = RedisAttemptLimiter(client), RedisQuotaLedger(client)
    server.stop()
    user = uuid4()
    calls = [
        limiter.retry_after("login:account:a@example.org", 5, 60),
        limiter.record_failure("login:account:a@example.org", 60),
        limiter.clear("login:account:a@example.org"),
        quota.used(user, "2026-12-01"),
        quota.reserve(user, "2026-12-01", 100, 1000, TOMORROW),
        quota.adjust(user, "2026-12-01", -10, TOMORROW),
    ]
    for call in calls:
        with pytest.raises(DependencyUnavailableError) as raised:
            await call
        assert raised.value.details == {"dependency": "redis"}
        assert "redis.sock" not in raised.value.message  # the driver's text stays in the cause, not the message

    server.start()
    assert await quota.reserve(user, "2026-12-01", 100, 1000, TOMORROW)
    assert await limiter.retry_after("login:account:a@example.org", 5, 60) is None


async def test_the_answer_cache_fails_open_and_warns_once_per_outage(
    private_redis: tuple[EmbeddedRedis, Redis], caplog: pytest.LogCaptureFixture
) -> None:
    server, client = private_redis
    cache = RedisAnswerCache(client)
    await cache.put("k", ANSWER, 60)
    server.stop()
    caplog.set_level(logging.INFO, logger="adapters.redis.assistant_store")

    assert await cache.get("k") is None  # a miss: the answer is computed instead
    await cache.put("k2", ANSWER, 60)  # not stored, and no error either
    assert await cache.get("k2") is None
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["answer cache unavailable: ConnectionError"]
    assert not any(r.exc_info for r in caplog.records)

    server.start()  # appendonly: what was cached before the outage is still there
    assert await cache.get("k") == ANSWER
    assert caplog.records[-1].getMessage() == "answer cache available again"
    await cache.put("k2", ANSWER, 60)
    assert await cache.get("k2") == ANSWER


async def test_the_answer_cache_does_not_hide_a_command_error(private_redis: tuple[EmbeddedRedis, Redis]) -> None:
    _, client = private_redis
    await cast("Awaitable[int]", client.lpush("lore:answers:list", "x"))  # the wrong type: a bug, not an outage
    with pytest.raises(Exception, match="WRONGTYPE"):
        await RedisAnswerCache(client).get("list")


@pytest.mark.parametrize("where", ["no socket", "refused"])
async def test_the_engine_reports_an_unreachable_postgres_as_unavailable(where: str, tmp_path: Path) -> None:
    url = (
        f"postgresql://postgres@/lore?host={tmp_path}"  # nothing listens in an empty folder
        if where == "no socket"
        else f"postgresql://postgres@127.0.0.1:{free_port()}/lore"
    )
    engine = create_engine(url, pool_size=1)
    try:
        with pytest.raises(DependencyUnavailableError) as raised:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert raised.value.details == {"dependency": "database"}
    assert isinstance(raised.value.__cause__, FileNotFoundError | ConnectionRefusedError)


async def test_the_engine_leaves_sql_errors_alone(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        with pytest.raises(sqlalchemy.exc.ProgrammingError):
            await connection.execute(text("SELECT * FROM no_such_table"))
    async with engine.connect() as connection:
        with pytest.raises(sqlalchemy.exc.DBAPIError) as raised:
            await connection.execute(text("SELECT 1 / 0"))
        assert not isinstance(raised.value, DependencyUnavailableError)


async def test_a_connection_killed_mid_session_is_unavailable_and_the_pool_recovers(engine: AsyncEngine) -> None:
    async with engine.connect() as victim:
        pid = await victim.scalar(text("SELECT pg_backend_pid()"))
        async with engine.connect() as killer:
            await killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DependencyUnavailableError) as raised:
            await victim.execute(text("SELECT 1"))
        assert raised.value.details == {"dependency": "database"}
    async with engine.connect() as fresh:
        assert await fresh.scalar(text("SELECT 1")) == 1


async def test_the_job_queue_on_a_stopped_redis_is_named_the_queue(
    private_redis: tuple[EmbeddedRedis, Redis],
) -> None:
    server, _ = private_redis
    queue = create_queue(server.url, "outage-test", job_heartbeat_seconds=30)
    server.stop()
    try:
        with pytest.raises(Exception) as raised:  # noqa: PT011 - whatever SAQ lets through; the type is the point
            await queue.enqueue("ingest_document", job_id="x")
        assert failed_dependency(raised.value) == "queue"
    finally:
        server.start()  # SAQ's disconnect talks to Redis
        await queue.disconnect()


async def test_a_misconfigured_database_is_no_outage(stores: Stores) -> None:
    engine = create_engine(stores.postgres.url("no_such_database"), pool_size=1)
    try:
        with pytest.raises(Exception, match="does not exist") as raised:
            async with engine.connect():
                pass
    finally:
        await engine.dispose()
    assert not isinstance(raised.value, DependencyUnavailableError)  # a wrong setting is a 500 to fix, not a retry


async def test_the_limiter_does_not_hide_a_command_error(private_redis: tuple[EmbeddedRedis, Redis]) -> None:
    _, client = private_redis
    await cast("Awaitable[int]", client.lpush("lore:attempts:list", "x"))
    with pytest.raises(Exception, match="WRONGTYPE"):
        await RedisAttemptLimiter(client).record_failure("list", 60)


async def test_the_query_embedding_cache_round_trips_vectors_and_fails_open(
    private_redis: tuple[EmbeddedRedis, Redis], caplog: pytest.LogCaptureFixture
) -> None:
    server, client = private_redis
    cache = RedisQueryEmbeddingCache(client)
    vector = [0.1, -0.25, 1 / 3]
    await cache.put("m:k", vector, 60)
    assert await cache.get("m:k") == vector  # doubles: exactly the vector that was embedded
    assert await cache.get("m:other") is None
    await client.set("lore:query-embeddings:m:bad", b"not a vector")
    assert await cache.get("m:bad") is None  # a corrupt entry is a miss

    server.stop()
    caplog.set_level(logging.INFO, logger="adapters.redis.query_embeddings")
    assert await cache.get("m:k") is None  # a miss: the query is embedded instead
    await cache.put("m:k2", vector, 60)  # not stored, and no error either
    assert [r.getMessage() for r in caplog.records] == ["query-embedding cache unavailable: ConnectionError"]

    server.start()
    assert await cache.get("m:k") == vector
    assert await client.ttl("lore:query-embeddings:m:k") > 0
