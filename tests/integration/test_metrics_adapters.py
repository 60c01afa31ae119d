"""The metrics adapters on the real stores: the queue backlog reader, the metered Redis client and pool,
and the hub when Redis is gone."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy import literal_column, select, text

from adapters.metrics.jobs import READING, TaskBacklog
from adapters.persistence.engine import create_engine
from adapters.persistence.knowledge.vector_sessions import create_vector_engine
from adapters.persistence.pool import MeteredPool
from adapters.persistence.reads import ReadPool, Statement
from adapters.queue.backlog import QueueBacklog, read_backlog
from adapters.queue.saq_queue import create_queue
from adapters.redis.client import create_redis
from entrypoints.bootstrap.metrics.exposition import render, snapshot_of
from entrypoints.bootstrap.metrics.hub import MetricsHub
from entrypoints.bootstrap.metrics.provider import collect, instance_id, setup_metrics
from entrypoints.bootstrap.settings import Settings
from tests.support.prometheus import Scrape, parse


async def test_the_backlog_is_read_per_task_oldest_first(settings: Settings, redis_client: Redis) -> None:
    queue = create_queue(settings.require_redis_url, "backlog", job_heartbeat_seconds=30)
    try:
        for n in range(2):
            await queue.enqueue("ingest_document", key=f"ingest:{n}", job_id=str(n))
        await queue.enqueue("send_email", key="mail:1", to="a@example.org")
        assert await queue.enqueue("send_email", key="mail:1", to="a@example.org") is None  # a known key

        backlog = await read_backlog(redis_client, queue)
        assert {task: b.depth for task, b in backlog.items()} == {"ingest_document": 2, "send_email": 1}
        assert all(b.oldest_age_seconds >= 0 for b in backlog.values())
        # past the read limit the rest is counted, not read
        assert (await read_backlog(redis_client, queue, limit=1))["other"].depth == 2

        await QueueBacklog(redis_client, "backlog").refresh()
        assert (1.0, {"lore.queue": "backlog", "lore.task": "send_email"}) in list(READING.depths())
        await QueueBacklog(redis_client, "empty-queue").refresh()
        assert (0.0, {"lore.queue": "empty-queue"}) in list(READING.oldest_ages())
    finally:
        await queue.disconnect()


def test_the_reading_replaces_a_queue_s_tasks_as_a_whole() -> None:
    READING.replace("q", {"a": TaskBacklog(3, 1.0), "b": TaskBacklog(1, 2.0)})
    READING.replace("q", {"b": TaskBacklog(2, 5.0)})
    assert [(v, a) for v, a in READING.depths() if a.get("lore.queue") == "q"] == [
        (2.0, {"lore.queue": "q", "lore.task": "b"})
    ]


def _local(settings: Settings) -> Scrape:
    setup_metrics(settings)  # the process-wide provider (once per process; later calls return it)
    return parse(render([snapshot_of(collect(), "here")]))


async def test_redis_commands_that_raise_are_counted_by_command_and_error(settings: Settings) -> None:
    errors = "lore_redis_client_errors_total"
    before = _local(settings)
    client = create_redis(settings.require_redis_url)
    try:
        with pytest.raises(ResponseError):
            await client.execute_command("NOT-A-COMMAND")  # type: ignore[no-untyped-call]
        script = client.register_script("return 1")
        assert await script() == 1  # the first run's NOSCRIPT is redis-py's business, not an error
    finally:
        await client.aclose()
    after = _local(settings)
    unknown = {"db_operation_name": "NOT-A-COMMAND", "error_type": "ResponseError"}
    assert after.total(errors, **unknown) - before.total(errors, **unknown) == 1
    assert after.total(errors, db_operation_name="EVALSHA") == before.total(errors, db_operation_name="EVALSHA")


async def test_the_engine_pool_reports_connections_and_times_checkouts(settings: Settings) -> None:
    engine = create_engine(settings.require_database_url, pool_size=1)
    try:
        pool = engine.sync_engine.pool
        assert isinstance(pool, MeteredPool)
        before = _local(settings)
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            during = _local(settings)
        assert pool.pending == 0
        after = _local(settings)
    finally:
        await engine.dispose()
    waits = "db_client_connection_wait_time_seconds_count"
    assert after.total(waits) - before.total(waits) == 1
    count = "db_client_connection_count"
    assert (
        during.total(count, db_client_connection_state="used") - after.total(count, db_client_connection_state="used")
        == 1
    )


async def test_each_pool_is_labelled_the_vector_and_read_pools_apart_from_the_request_pool(
    settings: Settings,
) -> None:
    url = settings.require_database_url
    vectors, reads = create_vector_engine(url, ef_search=40, pool_size=1), ReadPool(url, size=1)
    count, pool_name = "db_client_connection_count", "db_client_connection_pool_name"
    try:
        async with vectors.connect() as connection:
            await connection.execute(text("SELECT 1"))
            in_use = _local(settings)
        assert in_use.total(count, db_client_connection_state="used", **{pool_name: "postgres.vector"}) >= 1
        assert await reads.fetchrow(Statement(select(literal_column("1").label("one"))), {}) is not None
        idle = _local(settings)
        assert idle.total(count, db_client_connection_state="idle", **{pool_name: "postgres.reads"}) >= 1
        assert reads.pending == 0
        await vectors.dispose()  # the pool recreated after an outage keeps its label
        assert isinstance(vectors.sync_engine.pool, MeteredPool)
        assert vectors.sync_engine.pool.name == "postgres.vector"
    finally:
        await vectors.dispose()
        await reads.close()


async def test_with_redis_gone_a_scrape_shows_this_process_and_warns_once(
    tmp_path: Path, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    gone = create_redis(f"unix://{tmp_path / 'no-redis.sock'}")
    hub = MetricsHub(gone, settings)
    try:
        with caplog.at_level(logging.WARNING, logger="lore.metrics"):
            first = parse(await hub.scrape())
            await hub.scrape()
        assert first.instances <= {instance_id()}
        assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1
    finally:
        await gone.aclose()
