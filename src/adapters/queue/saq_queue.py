"""SAQ queue on Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from saq.job import Job
from saq.queue.redis import RedisQueue
from saq.types import WorkerInfo

from adapters.queue.redis_outage import REDIS_DOWN, RedisOutage
from adapters.redis.client import create_redis

T = TypeVar("T")


class JobQueue(RedisQueue):
    """SAQ's Redis queue, knowing which tasks are waiting in dequeue.

    Such a task holds no job yet, so a stopping worker can cancel it at once
    instead of waiting out its grace period for a dequeue that may never return.
    (Cancelled just as Redis hands it a job, that job stays in the active list as
    queued, and SAQ's sweep puts it back.)

    While Redis is down, the worker's loops are paced by :attr:`outage` (see
    redis_outage): a failed dequeue waits out a backoff delay and reports no job,
    and the upkeep chores note the outage instead of logging a traceback each round.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: set[asyncio.Task[Any]] = set()
        self.outage = RedisOutage()

    @property
    def waiting(self) -> frozenset[asyncio.Task[Any]]:
        return frozenset(self._waiting)

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

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        return await self.outlast(super().sweep(lock, abort)) or []

    async def write_worker_info(self, worker_id: str, info: WorkerInfo, ttl: int) -> None:
        await self.outlast(super().write_worker_info(worker_id, info, ttl))


def create_queue(redis_url: str, name: str) -> JobQueue:
    # SAQ owns this client (it closes it on disconnect), so it does not share the app's pool
    return JobQueue(create_redis(redis_url), name=name)
