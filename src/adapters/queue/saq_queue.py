"""SAQ queue on Redis."""

from __future__ import annotations

import asyncio
from typing import Any

from saq.job import Job
from saq.queue.redis import RedisQueue

from adapters.redis.client import create_redis


class JobQueue(RedisQueue):
    """SAQ's Redis queue, knowing which tasks are waiting in dequeue.

    Such a task holds no job yet, so a stopping worker can cancel it at once
    instead of waiting out its grace period for a dequeue that may never return.
    (Cancelled just as Redis hands it a job, that job stays in the active list as
    queued, and SAQ's sweep puts it back.)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: set[asyncio.Task[Any]] = set()

    @property
    def waiting(self) -> frozenset[asyncio.Task[Any]]:
        return frozenset(self._waiting)

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:  # noqa: ASYNC109 - SAQ's signature
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - SAQ always dequeues inside a task
            return await super().dequeue(timeout, poll_interval)
        self._waiting.add(task)
        try:
            return await super().dequeue(timeout, poll_interval)
        finally:
            self._waiting.discard(task)


def create_queue(redis_url: str, name: str) -> JobQueue:
    # SAQ owns this client (it closes it on disconnect), so it does not share the app's pool
    return JobQueue(create_redis(redis_url), name=name)
