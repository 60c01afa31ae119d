"""SAQ queue on Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from redis.exceptions import WatchError
from saq.job import Job, Status
from saq.queue.redis import RedisQueue
from saq.types import WorkerInfo
from saq.utils import now

from adapters.metrics.jobs import job_enqueued
from adapters.queue.redis_outage import RedisOutage
from adapters.queue.sweep import sweep
from adapters.redis.client import REDIS_DOWN, create_redis

T = TypeVar("T")

# How long a sweep waits for a worker to acknowledge the abort of a job it found abandoned. A job is
# only swept once its worker stopped touching it (dead, or its loop frozen), so waiting longer gains
# nothing, and SAQ sweeps one job after the other: its 5 s default made a dead worker's ten jobs take 50 s.
SWEEP_ABORT_WAIT_SECONDS = 1.0


class JobQueue(RedisQueue):
    """SAQ's Redis queue, knowing which tasks are waiting in dequeue, with heartbeats on every job.

    A task waiting in dequeue holds no job yet, so a stopping worker can cancel it at once
    instead of waiting out its grace period for a dequeue that may never return.
    (Cancelled just as Redis hands it a job, that job stays in the active list as
    queued, and SAQ's sweep puts it back.)

    While Redis is down, the worker's loops are paced by :attr:`outage` (see
    redis_outage): a failed dequeue waits out a backoff delay and reports no job,
    and the upkeep chores note the outage instead of logging a traceback each round.

    Every job enqueued here gets ``job_heartbeat_seconds`` unless it sets its own: the worker
    touches its running jobs (see ``touch``), so SAQ's sweep tells a job whose worker died
    within that time instead of at the job's timeout.
    """

    def __init__(self, *args: Any, job_heartbeat_seconds: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: set[asyncio.Task[Any]] = set()
        self.outage = RedisOutage()
        self._job_heartbeat = job_heartbeat_seconds
        self.register_before_enqueue(self._with_heartbeat)

    @property
    def waiting(self) -> frozenset[asyncio.Task[Any]]:
        return frozenset(self._waiting)

    async def enqueue(self, job_or_func: str | Job, **kwargs: Any) -> Job | None:
        job = await super().enqueue(job_or_func, **kwargs)
        if job is not None:  # None: a job with that key is still known, so nothing new was queued
            job_enqueued(job.function)
        return job

    async def _with_heartbeat(self, job: Job) -> None:
        job.heartbeat = job.heartbeat or self._job_heartbeat

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:  # noqa: ASYNC109 - SAQ's signature
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - SAQ always dequeues inside a task
            return await super().dequeue(timeout, poll_interval)
        self._waiting.add(task)
        try:
            return await self._paced_dequeue(timeout, poll_interval)
        finally:
            self._waiting.discard(task)

    async def _paced_dequeue(self, timeout: float, poll_interval: float) -> Job | None:  # noqa: ASYNC109
        # SAQ starts the next dequeue as soon as one fails: without this wait, a slot spins on reconnecting
        try:
            job = await super().dequeue(timeout, poll_interval)
        except REDIS_DOWN as error:
            await asyncio.sleep(self.outage.failed(error))
            return None
        self.outage.succeeded()
        return job

    async def outlast(self, chore: Awaitable[T], *, reaches_redis: bool = True) -> T | None:
        """Run one upkeep chore; Redis being down is noted (logged once) rather than raised.

        A chore that may end without a call to Redis (``reaches_redis=False``) proves nothing when it works.
        """
        try:
            result = await chore
        except REDIS_DOWN as error:
            self.outage.failed(error)  # the chore's own timer paces its next round
            return None
        if reaches_redis:
            self.outage.succeeded()
        return result

    async def sweep(self, lock: int = 60, abort: float = SWEEP_ABORT_WAIT_SECONDS) -> list[str]:
        return await self.outlast(sweep(self, lock, abort)) or []

    async def write_worker_info(self, worker_id: str, info: WorkerInfo, ttl: int) -> None:
        await self.outlast(super().write_worker_info(worker_id, info, ttl))

    async def touch(self, job: Job) -> bool:
        """Mark a running job alive; False once it is no longer active (finished, retried, swept).

        SAQ's own ``job.update()`` writes the worker's copy back without looking, so a beat landing
        just after the job finished would bring it back as active, with no expiry. Here the stored
        job is rewritten only while it is still active, and only its ``touched`` changes.
        """
        async with self.redis.pipeline(transaction=True) as pipe:
            await pipe.watch(job.id)
            stored = self.deserialize(await pipe.get(job.id))
            if stored is None or stored.status is not Status.ACTIVE:
                return False
            stored.touched = now()
            pipe.multi()  # type: ignore[no-untyped-call]  # untyped in redis-py
            pipe.set(job.id, self.serialize(stored))
            try:
                await pipe.execute()
            except WatchError:  # changed meanwhile (finished, aborted): the next beat looks again
                return False
        job.touched = stored.touched
        return True


def create_queue(redis_url: str, name: str, *, job_heartbeat_seconds: int) -> JobQueue:
    # SAQ owns this client (it closes it on disconnect), so it does not share the app's pool
    return JobQueue(create_redis(redis_url), name=name, job_heartbeat_seconds=job_heartbeat_seconds)
