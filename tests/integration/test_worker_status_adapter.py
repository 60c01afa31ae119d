"""SaqWorkerStatus reads what SAQ itself writes to Redis: worker reports and the queue's lists."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from redis.asyncio import Redis

from adapters.queue.health import SaqWorkerStatus
from entrypoints.bootstrap.runtime import JobQueue, job_queue
from entrypoints.bootstrap.settings import Settings

NAME = "status-probe"


@pytest.fixture
async def queue(settings: Settings, clean_stores: None) -> AsyncIterator[JobQueue]:
    queue = job_queue(msgspec.structs.replace(settings, worker_queue=NAME))
    yield queue
    await queue.disconnect()


async def test_counts_and_the_oldest_waiting_job(queue: JobQueue, redis_client: Redis) -> None:
    source = SaqWorkerStatus(redis_client, [NAME])
    (empty,) = await source.queues(datetime.now(UTC))
    assert (empty.queued, empty.active, empty.scheduled, empty.oldest_waiting_seconds) == (0, 0, 0, None)

    first = await queue.enqueue("heartbeat")
    await queue.enqueue("heartbeat")
    await queue.enqueue("heartbeat", scheduled=int(time.time()) + 3600)  # waits for its time
    assert first is not None
    an_hour_later = datetime.fromtimestamp(first.queued / 1000, UTC) + timedelta(hours=1)
    (backlog,) = await source.queues(an_hour_later)
    assert (backlog.queued, backlog.scheduled) == (2, 1)
    assert backlog.oldest_waiting_seconds == pytest.approx(3600, abs=1)


async def test_a_worker_report_is_alive_until_its_ttl_then_stale(queue: JobQueue, redis_client: Redis) -> None:
    source = SaqWorkerStatus(redis_client, [NAME])
    await queue.worker_info("w-1", queue_key=NAME, ttl=1)  # SAQ's own write path, with a 1 s report
    (live,) = await source.queues(datetime.now(UTC))
    (worker,) = live.workers
    assert (worker.worker_id, worker.alive, live.alive_workers) == ("w-1", True, 1)
    assert worker.uptime_seconds is not None

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        (later,) = await source.queues(datetime.now(UTC))
        if later.alive_workers == 0:
            break
        await asyncio.sleep(0.2)
    assert later.alive_workers == 0
    assert all(not w.alive for w in later.workers)  # stale, or gone once the report set expired
