"""Put back the jobs of dead workers: SAQ's sweep, without taking a job from a live worker mid-dequeue.

A worker takes a job by moving its id to the active list (BLMOVE) and marks it active a moment later
(GET, then SET). SAQ's sweep puts back any job in the active list not marked active, so a sweep that
lands in that instant takes the job from a live worker, which runs it anyway: the job runs twice (an
email sent twice). Rare once a minute, SAQ's default; not rare every few seconds. Here such a job is
put back only if the previous sweep saw it unmarked too: a worker that died before marking it.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from saq.job import Job, Status
from saq.queue.redis import RedisQueue

logger = logging.getLogger("lore.worker")


async def sweep(queue: RedisQueue, lock: int, abort_wait: float) -> list[str]:
    """One sweep at most per ``lock`` seconds across workers; the ids of the jobs put back."""
    redis = queue.redis
    if not await redis.set(queue.namespace("sweep"), 1, ex=lock, nx=True):
        return []
    active, seen = queue.namespace("active"), queue.namespace("sweep:unmarked")
    # redis-py types its commands as sync-or-async
    job_ids = [raw.decode() for raw in await redis.lrange(active, 0, -1)]  # type: ignore[misc]
    payloads = await redis.mget(job_ids) if job_ids else []
    unmarked_before = {raw.decode() for raw in await redis.smembers(seen)}  # type: ignore[misc]
    unmarked, swept = [], []
    for job_id, payload in zip(job_ids, payloads, strict=True):
        job = queue.deserialize(payload)
        if job is None:  # its record expired: only the id is left
            async with redis.pipeline(transaction=True) as pipe:
                pipe.lrem(active, 0, job_id)
                pipe.zrem(queue.namespace("incomplete"), job_id)
                await pipe.execute()
        elif job.status is Status.ACTIVE and not job.stuck:
            continue
        elif job.status is not Status.ACTIVE and job_id not in unmarked_before:
            unmarked.append(job_id)  # maybe taken an instant ago: look again at the next sweep
            continue
        else:
            await _put_back(queue, job, abort_wait)
        swept.append(job_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(seen)
        if unmarked:
            pipe.sadd(seen, *unmarked)
            pipe.expire(seen, lock * 10)
        await pipe.execute()
    return swept


async def _put_back(queue: RedisQueue, job: Job, abort_wait: float) -> None:
    """As SAQ does: abort it (a live worker cancels its run), then retry it or, out of retries, abort it."""
    logger.info("sweeping abandoned job", extra={"job": job.key, "function": job.function})
    await queue.abort(job, error=queue.swept_error_message)
    with suppress(TimeoutError):  # nobody acknowledged: its worker is gone
        await job.refresh(abort_wait)
    if job.retryable:
        await queue.retry(job, error=queue.swept_error_message)
    else:
        await queue.finish(job, Status.ABORTED, error=queue.swept_error_message)
