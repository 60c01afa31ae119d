"""Job heartbeats on real Redis: a running job is kept alive, a dead worker's job is swept and run again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
import pytest
from saq.job import Job, Status
from saq.types import PartialTimersDict
from saq.utils import now

from adapters.queue.sweep import abort_in_place
from entrypoints.bootstrap.runtime import JobQueue, job_queue
from entrypoints.bootstrap.settings import Settings
from entrypoints.worker.app import LoreWorker
from entrypoints.worker.tasks import Context

HEARTBEAT = 3
FAST_SWEEP = PartialTimersDict(schedule=1, worker_info=10, sweep=1, abort=1)


@pytest.fixture
async def queue(settings: Settings) -> AsyncIterator[JobQueue]:
    queue = job_queue(msgspec.structs.replace(settings, worker_queue="heartbeats", job_heartbeat_seconds=HEARTBEAT))
    yield queue
    await queue.disconnect()


async def _run_until_done(worker: LoreWorker, job: Job, limit_seconds: float = 60) -> None:
    running = asyncio.create_task(worker.start())
    try:
        await job.refresh(until_complete=limit_seconds)
    finally:
        await worker.stop()
        await asyncio.wait_for(running, timeout=30)


async def test_jobs_get_the_configured_heartbeat_unless_they_set_their_own(queue: JobQueue) -> None:
    default = await queue.enqueue("anything")
    own = await queue.enqueue("anything", heartbeat=60)
    assert default is not None
    assert own is not None
    assert [(await queue.job(j.key)).heartbeat for j in (default, own)] == [HEARTBEAT, 60]  # type: ignore[union-attr]


async def test_touch_marks_an_active_job_alive_and_never_revives_a_finished_one(queue: JobQueue) -> None:
    assert await queue.enqueue("anything", key="touched", ttl=600) is not None
    job = await queue.dequeue()
    assert job is not None
    await job.update(status=Status.ACTIVE, touched=1)
    assert await queue.touch(job)
    stored = await queue.job("touched")
    assert stored is not None
    assert stored.status is Status.ACTIVE
    assert stored.touched == job.touched > 1

    await job.finish(Status.COMPLETE, result="ok")
    assert not await queue.touch(job)  # a late beat: the job stays finished, its expiry kept
    stored = await queue.job("touched")
    assert stored is not None
    assert (stored.status, stored.result) == (Status.COMPLETE, "ok")
    assert 0 < await queue.redis.ttl(job.id) <= 600
    assert not await queue.touch(Job("anything", key="never-enqueued", queue=queue))


async def test_a_running_job_outlives_its_heartbeat_because_its_worker_touches_it(queue: JobQueue) -> None:
    runs = 0

    async def slow(_ctx: Context) -> str:
        nonlocal runs
        runs += 1
        await asyncio.sleep(HEARTBEAT * 2)  # twice the heartbeat, with a sweep every second
        return "finished"

    job = await queue.enqueue("slow", timeout=60, retries=3)
    assert job is not None
    worker = LoreWorker(queue, functions=[("slow", slow)], timers=FAST_SWEEP, shutdown_grace_period_s=1)
    worker.SIGNALS = []
    await _run_until_done(worker, job)
    assert (job.status, job.result, job.attempts, runs) == (Status.COMPLETE, "finished", 1, 1)


async def test_a_job_left_active_by_a_dead_worker_is_swept_and_run_again(queue: JobQueue) -> None:
    job = await queue.enqueue("work", timeout=900, retries=3)
    assert job is not None
    taken = await queue.dequeue()  # a worker takes it, marks it active as SAQ does, and dies
    assert taken is not None
    taken.attempts, taken.started, taken.worker_id = 1, now(), "dead-worker"
    await taken.update(status=Status.ACTIVE)

    async def work(_ctx: Context) -> str:
        return "done again"

    worker = LoreWorker(queue, functions=[("work", work)], timers=FAST_SWEEP, shutdown_grace_period_s=1)
    worker.SIGNALS = []
    await _run_until_done(worker, job)  # far below the 900 s timeout SAQ would otherwise wait for
    assert (job.status, job.result, job.attempts) == (Status.COMPLETE, "done again", 2)


async def test_a_job_taken_but_not_yet_marked_active_is_put_back_only_once_unmarked_for_its_heartbeat(
    queue: JobQueue,
) -> None:
    async def next_sweep() -> list[str]:
        await queue.redis.delete(queue.namespace("sweep"))  # as if the interval had passed
        return await queue.sweep(lock=1)

    async def a_heartbeat_passes() -> None:
        since = queue.namespace("sweep:unmarked_since")
        for job_id, first_seen in (await queue.redis.hgetall(since)).items():  # type: ignore[misc]
            await queue.redis.hset(since, job_id, str(int(first_seen) - HEARTBEAT * 1000))  # type: ignore[misc]

    marked = await queue.enqueue("work", key="marked", retries=3)
    orphan = await queue.enqueue("work", key="orphan", retries=3)
    assert marked is not None
    assert orphan is not None
    live, dead = await queue.dequeue(), await queue.dequeue()  # both workers took their job ...
    assert live is not None
    assert dead is not None
    assert await next_sweep() == []  # ... an instant ago, as far as this sweep can tell
    assert await next_sweep() == []  # and a sweep later still (a worker starved of CPU may take that long)
    live.started = now()
    await live.update(status=Status.ACTIVE)  # one marks it active; the other died before it could

    await a_heartbeat_passes()
    assert await next_sweep() == [orphan.id]
    assert await next_sweep() == []
    stored = await queue.jobs(["marked", "orphan"])
    assert [job.status if job else None for job in stored] == [Status.ACTIVE, Status.QUEUED]
    assert await queue.count("queued") == 1  # the orphan waits for a worker again


async def test_a_late_job_of_a_worker_that_still_reports_in_is_left_to_it(queue: JobQueue) -> None:
    report = queue.namespace("worker_info:starved-worker")
    await queue.redis.setex(report, 30, "{}")  # the worker reports in; its job's touches are late
    assert await queue.enqueue("work", key="late", retries=3, timeout=900) is not None
    taken = await queue.dequeue()
    assert taken is not None
    taken.attempts, taken.started, taken.worker_id = 1, now(), "starved-worker"
    await taken.update(status=Status.ACTIVE, touched=1)

    async def next_sweep() -> list[str]:
        await queue.redis.delete(queue.namespace("sweep"))
        return await queue.sweep(lock=1)

    assert await next_sweep() == []
    assert (await queue.job("late")).status is Status.ACTIVE  # type: ignore[union-attr]
    await queue.redis.delete(report)  # it stopped reporting: dead
    assert await next_sweep() == [taken.id]
    assert (await queue.job("late")).status is Status.QUEUED  # type: ignore[union-attr]


async def test_a_sweep_drops_ids_without_a_job_and_gives_up_a_job_out_of_attempts(queue: JobQueue) -> None:
    exhausted = await queue.enqueue("work", key="exhausted", retries=1, timeout=900)
    assert exhausted is not None
    taken = await queue.dequeue()
    assert taken is not None
    taken.attempts, taken.started = 1, now()
    await taken.update(status=Status.ACTIVE, touched=1)  # its worker died long ago, on its only attempt
    ghost = queue.job_id("expired")
    await queue.redis.rpush(queue.namespace("active"), ghost)  # type: ignore[misc]  # a job id whose record expired

    assert sorted(await queue.sweep(lock=60)) == sorted([exhausted.id, ghost])
    stored = await queue.job("exhausted")
    assert stored is not None
    assert (stored.status, stored.error) == (Status.ABORTED, queue.swept_error_message)
    assert await queue.count("active") == await queue.count("queued") == 0
    await queue.redis.rpush(queue.namespace("active"), ghost)  # type: ignore[misc]
    assert await queue.sweep(lock=60) == []  # one sweep per interval across workers: the next waits
    assert await queue.count("active") == 1


async def test_a_job_whose_sweeper_died_between_abort_and_retry_is_put_back_by_a_later_sweep(queue: JobQueue) -> None:
    job = await queue.enqueue("work", key="half-swept", retries=3)
    assert job is not None
    taken = await queue.dequeue()
    assert taken is not None
    taken.attempts, taken.started = 1, now()
    await taken.update(status=Status.ACTIVE, touched=1)  # its worker died long ago
    await abort_in_place(queue, taken, queue.swept_error_message)  # a sweeper got this far, then died

    assert await queue.redis.lrange(queue.namespace("active"), 0, -1) == [job.id.encode()]  # type: ignore[misc]
    await queue.redis.delete(queue.namespace("sweep"))
    assert await queue.sweep(lock=1) == []  # not active: looked at again once unmarked for its heartbeat
    since = queue.namespace("sweep:unmarked_since")
    await queue.redis.hset(since, job.id, str(now() - HEARTBEAT * 1000))  # type: ignore[misc]
    await queue.redis.delete(queue.namespace("sweep"))
    assert await queue.sweep(lock=1) == [job.id]
    stored = await queue.job("half-swept")
    assert stored is not None
    assert stored.status is Status.QUEUED
    assert await queue.count("queued") == 1
