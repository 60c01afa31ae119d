"""Put back the jobs of dead workers: SAQ's sweep, without taking a job from a live worker mid-dequeue.

A worker takes a job by moving its id to the active list (BLMOVE) and marks it active a moment later
(GET, then SET). SAQ's sweep puts back any job in the active list not marked active, so a sweep that
lands in that instant takes the job from a live worker, which runs it anyway: the job runs twice (an
email sent twice). Rare once a minute, SAQ's default; not rare every few seconds. Here such a job is
put back only once it has stayed unmarked for its heartbeat: a worker that died before marking it. (Put
back after two sweeps in a row instead, a worker starved of CPU for two sweep intervals between taking a
job and marking it lost the job: put back under it, marked active again by it, and gone when it died.)
A marked job whose touches are late is put back only once its worker has stopped reporting in.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from saq.job import Job, Status
from saq.queue.redis import RedisQueue
from saq.utils import now

logger = logging.getLogger("lore.worker")

UNMARKED_GRACE_SECONDS = 60  # for a job without a heartbeat of its own (JobQueue gives every job one)


def _grace_millis(job: Job) -> int:
    return (job.heartbeat or UNMARKED_GRACE_SECONDS) * 1000


async def sweep(queue: RedisQueue, lock: int, abort_wait: float) -> list[str]:
    """One sweep at most per ``lock`` seconds across workers; the ids of the jobs put back."""
    redis = queue.redis
    if not await redis.set(queue.namespace("sweep"), 1, ex=lock, nx=True):
        return []
    active, seen = queue.namespace("active"), queue.namespace("sweep:unmarked_since")
    # redis-py types its commands as sync-or-async
    job_ids = [raw.decode() for raw in await redis.lrange(active, 0, -1)]  # type: ignore[misc]
    payloads = await redis.mget(job_ids) if job_ids else []
    # when each job not yet marked active was first seen so: {job id: epoch millis}
    first_seen = {k.decode(): int(v) for k, v in (await redis.hgetall(seen)).items()}  # type: ignore[misc]
    at = now()
    unmarked: dict[str, int] = {}
    swept = []
    for job_id, payload in zip(job_ids, payloads, strict=True):
        job = queue.deserialize(payload)
        if job is None:  # its record expired: only the id is left
            async with redis.pipeline(transaction=True) as pipe:
                pipe.lrem(active, 0, job_id)
                pipe.zrem(queue.namespace("incomplete"), job_id)
                await pipe.execute()
        elif job.status is Status.ACTIVE and (not job.stuck or await _worker_alive(queue, job)):
            continue
        elif job.status is not Status.ACTIVE and at - first_seen.get(job_id, at) < _grace_millis(job):
            unmarked[job_id] = first_seen.get(job_id, at)  # maybe taken an instant ago: look again later
            continue
        else:
            await _put_back(queue, job, abort_wait)
        swept.append(job_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(seen)
        if unmarked:
            pipe.hset(seen, mapping=unmarked)
            pipe.expire(seen, max(lock * 10, UNMARKED_GRACE_SECONDS * 2))
        await pipe.execute()
    return swept


async def _worker_alive(queue: RedisQueue, job: Job) -> bool:
    """Whether the worker running the job still reports in (its worker_info key lives ~11 s past a report).

    A job whose touches are late while its worker reports in belongs to a worker starved of CPU or of Redis,
    not a dead one: putting it back cancels a run that would finish, and three such redeliveries used to
    give a job up for good (only the outbox's ten-minute fallback sent it again). A worker that died stops
    reporting, so its jobs are swept a few seconds later; a job that hangs in a live worker meets its timeout.
    """
    return bool(job.worker_id) and bool(await queue.redis.exists(queue.namespace(f"worker_info:{job.worker_id}")))


async def _put_back(queue: RedisQueue, job: Job, abort_wait: float) -> None:
    """As SAQ does: abort it (a live worker cancels its run), then retry it or, out of retries, abort it."""
    logger.info("sweeping abandoned job", extra={"job": job.key, "function": job.function})
    await abort_in_place(queue, job, queue.swept_error_message)
    with suppress(TimeoutError):  # nobody acknowledged: its worker is gone
        await job.refresh(abort_wait)
    if job.retryable:
        await queue.retry(job, error=queue.swept_error_message)
    else:
        await queue.finish(job, Status.ABORTED, error=queue.swept_error_message)


async def abort_in_place(queue: RedisQueue, job: Job, error: str) -> None:
    """SAQ's abort, but the job stays in the active list until it is retried or finished.

    SAQ's abort takes it off the active list at once: a sweeper that died before its retry (a second
    later) left the job in no list at all, and nothing ever ran it again. Left there, marked aborting,
    the next sweep finds it (not active: put back once unmarked for its heartbeat).
    """
    job.status, job.error = Status.ABORTING, error
    async with queue.redis.pipeline(transaction=True) as pipe:
        pipe.zrem(queue.namespace("incomplete"), job.id)
        pipe.set(job.id, queue.serialize(job))
        pipe.setex(job.abort_id, 5, error)  # as SAQ's abort: a live worker's abort chore sees it
        pipe.publish(job.id, job.status)
        await pipe.execute()
