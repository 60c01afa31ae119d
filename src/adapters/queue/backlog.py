"""Reads the waiting jobs of a SAQ queue per task: how many, and how long the oldest has waited.

The one reader of a queue's waiting jobs: for the queue gauges (adapters.metrics.jobs) and for the
backlog that `lore status` and the admin status show (adapters.queue.health). SAQ keeps waiting job ids
in a list, oldest first, and each job as a serialised value under its id.
"""

from __future__ import annotations

from redis.asyncio import Redis
from saq.queue.redis import RedisQueue
from saq.utils import now

from adapters.metrics.jobs import READING, TaskBacklog

# a backlog longer than this is counted by LLEN alone, its extra jobs under the task "other"
READ_LIMIT = 10_000
OTHER = "other"


async def read_backlog(
    redis: Redis, queue: RedisQueue, limit: int = READ_LIMIT, *, at_millis: float | None = None
) -> dict[str, TaskBacklog]:
    """Per task, the waiting jobs and how long the oldest has waited at ``at_millis`` (default: now)."""
    queued = queue.namespace("queued")
    total = int(await redis.llen(queued))  # type: ignore[misc]  # redis-py types list commands as sync or async
    ids = await redis.lrange(queued, 0, limit - 1) if total else []  # type: ignore[misc]
    payloads = await redis.mget(ids) if ids else []
    at = now() if at_millis is None else at_millis
    depth: dict[str, int] = {}
    oldest: dict[str, float] = {}
    for payload in payloads:
        job = queue.deserialize(payload)
        if job is None:  # finished and expired between the two reads
            continue
        depth[job.function] = depth.get(job.function, 0) + 1
        # a job that waited for its time (a retry, a delay) waits in the queue from then on;
        # SAQ keeps "queued" in milliseconds and "scheduled" in seconds
        waited = max(0.0, (at - max(job.queued, job.scheduled * 1000)) / 1000)
        oldest[job.function] = max(oldest.get(job.function, 0.0), waited)
    if total > len(ids):
        depth[OTHER] = total - len(ids)
    return {task: TaskBacklog(count, oldest.get(task, 0.0)) for task, count in depth.items()}


class QueueBacklog:
    """Reads one queue on a given client (the app's, not the worker's SAQ connection)."""

    def __init__(self, redis: Redis, name: str) -> None:
        self._redis = redis
        self._queue = RedisQueue(redis, name=name)  # for its key names and job decoding only

    async def refresh(self) -> None:
        READING.replace(self._queue.name, await read_backlog(self._redis, self._queue))
