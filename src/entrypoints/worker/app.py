"""The SAQ worker, wired through the same dishka container as the API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from dishka import AsyncContainer
from saq import CronJob, Worker
from saq.types import PartialTimersDict

from entrypoints.bootstrap.closing import close_quietly
from entrypoints.bootstrap.metrics import after_job, before_job
from entrypoints.bootstrap.runtime import WORKER_INFO_SECONDS, JobQueue, job_queue
from entrypoints.bootstrap.settings import Settings
from entrypoints.worker.liveness import keep_jobs_alive
from entrypoints.worker.tasks import (
    Context,
    deliver_webhooks,
    heartbeat,
    ingest_document,
    purge_credentials,
    purge_events,
    relay_events,
    relay_outbox,
    send_email,
    summarize_document,
    sweep_blobs,
)

logger = logging.getLogger("lore.worker")

HEARTBEAT_CRON = "* * * * * */30"  # croniter's sixth field is seconds: every 30 s
PURGE_CRON = "17 3 * * *"  # daily at 03:17 UTC, off the hour
WEBHOOK_CRON = "* * * * * */2"  # due webhook deliveries: a first attempt within ~2 s of the event
PURGE_EVENTS_CRON = "37 3 * * *"
RELAY_CRON = "* * * * * */5"  # the outbox relay catches jobs the API could not enqueue at once
EVENTS_CRON = "* * * * * */2"  # the event relay catches events their emitter could not hand on at once
BLOB_SWEEP_CRON = "*/5 * * * *"  # blobs whose removal after a delete failed (or was cut short)
# below the Redis client's 5 s socket timeout: an idle BLMOVE then ends as "no job", not as a
# TimeoutError that drops the connection (and would read as Redis being down)
DEQUEUE_TIMEOUT_SECONDS = 2


class LoreWorker(Worker[Context]):
    """SAQ's worker, but one that stops at once when it has no job running.

    SAQ's stop waits up to the grace period for all its tasks, and idle ones never
    end by themselves: a slot waiting for a job blocks in dequeue for ever and the
    upkeep loops sleep up to a minute between chores. So every stop took the whole
    grace period. Here those are cancelled first: the upkeep loops only run
    idempotent chores (schedule, sweep, abort, worker info) and a waiting slot holds
    no job (see JobQueue). Only slots running a job are given the grace period.
    """

    _upkeep_tasks: tuple[asyncio.Task[None], ...] = ()

    async def upkeep(self) -> list[asyncio.Task[None]]:
        tasks = await super().upkeep()
        if isinstance(self.queue, JobQueue):
            tasks.append(asyncio.create_task(keep_jobs_alive(self.job_task_contexts, self.queue.touch, self.event)))
        self._upkeep_tasks = tuple(tasks)
        return tasks

    # SAQ's upkeep loop logs a traceback each round a chore fails; with Redis down that is
    # every second, so these chores note the outage once instead (see JobQueue.outlast)
    async def schedule(self, lock: int = 1) -> None:
        await self._outlast(super().schedule(lock))

    async def abort(self, abort_threshold: float) -> None:
        # with no long-running job it asks Redis nothing, so its success says nothing of Redis
        await self._outlast(super().abort(abort_threshold), reaches_redis=False)

    async def _outlast(self, chore: Coroutine[Any, Any, None], *, reaches_redis: bool = True) -> None:
        if isinstance(self.queue, JobQueue):
            await self.queue.outlast(chore, reaches_redis=reaches_redis)
        else:  # pragma: no cover - build_worker always gives a JobQueue
            await chore

    async def stop(self) -> None:
        self.event.set()  # no new slot starts, no upkeep loop goes round again
        waiting = self.queue.waiting if isinstance(self.queue, JobQueue) else frozenset()
        for task in (*self._upkeep_tasks, *waiting):
            task.cancel()
        await super().stop()


def build_worker(settings: Settings, container: AsyncContainer, *, handle_signals: bool = True) -> LoreWorker:
    async def startup(ctx: Context) -> None:
        ctx["container"] = container
        await heartbeat(ctx)  # report at once rather than at the first cron tick

    async def shutdown(ctx: Context) -> None:
        await close_quietly("worker queue", ctx["worker"].queue.disconnect)

    worker = LoreWorker(
        job_queue(settings),
        functions=[
            heartbeat,
            send_email,
            ingest_document,
            relay_outbox,
            summarize_document,
            purge_credentials,
            deliver_webhooks,
            relay_events,
            purge_events,
            sweep_blobs,
        ],
        cron_jobs=[
            CronJob(heartbeat, cron=HEARTBEAT_CRON, timeout=10, retries=1),
            CronJob(relay_outbox, cron=RELAY_CRON, timeout=30, retries=1),
            # a round lasts at most one POST timeout (they run concurrently); the lease covers it
            CronJob(deliver_webhooks, cron=WEBHOOK_CRON, timeout=settings.webhook_lease_seconds, retries=1),
            CronJob(relay_events, cron=EVENTS_CRON, timeout=30, retries=1),
            CronJob(purge_credentials, cron=PURGE_CRON, timeout=300, retries=1),
            CronJob(purge_events, cron=PURGE_EVENTS_CRON, timeout=300, retries=1),
            CronJob(sweep_blobs, cron=BLOB_SWEEP_CRON, timeout=300, retries=1),
        ],
        concurrency=settings.worker_concurrency,
        dequeue_timeout=DEQUEUE_TIMEOUT_SECONDS,
        startup=startup,
        shutdown=shutdown,
        before_process=[before_job],
        after_process=[after_job],
        shutdown_grace_period_s=settings.worker_shutdown_grace_seconds,
        # SAQ's defaults but the sweep, which puts back jobs whose worker stopped touching them (see
        # JobQueue); its lock makes it one sweep per interval across all workers. (SAQ's partial
        # timers type still requires every key.)
        timers=PartialTimersDict(
            schedule=1, worker_info=WORKER_INFO_SECONDS, sweep=settings.job_sweep_seconds, abort=1
        ),
    )
    if not handle_signals:
        # under `lore dev` uvicorn owns SIGINT/SIGTERM and stops the worker itself
        worker.SIGNALS = []
    return worker
