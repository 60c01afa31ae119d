"""The worker's side of job heartbeats: touch each running job well within its heartbeat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from saq.job import Job
from saq.types import JobTaskContext
from saq.utils import now

logger = logging.getLogger("lore.worker")

TICK_SECONDS = 1.0  # JOB_HEARTBEAT_SECONDS is at least 3, so a job is touched at least twice per heartbeat


def due_for_a_beat(job: Job, at_millis: int) -> bool:
    """A third of the heartbeat since the last touch: two beats may fail before the job is swept."""
    return bool(job.heartbeat) and at_millis - job.touched >= job.heartbeat * 1000 / 3


async def keep_jobs_alive(
    running: Mapping[Job, JobTaskContext],
    touch: Callable[[Job], Awaitable[bool]],
    stopping: asyncio.Event,
    tick_seconds: float = TICK_SECONDS,
) -> None:
    """Until ``stopping``, touch the jobs of ``running`` (the worker's own) that are due for a beat."""
    failing = False
    while not stopping.is_set():
        try:
            at = now()
            for job, context in list(running.items()):
                if not context["task"].done() and due_for_a_beat(job, at):
                    await touch(job)
            if failing:
                logger.info("job heartbeats are written again")
                failing = False
        except Exception:
            if not failing:  # once per outage, not once a second
                logger.warning("could not write job heartbeats; their jobs may be run again", exc_info=True)
                failing = True
        await asyncio.sleep(tick_seconds)
