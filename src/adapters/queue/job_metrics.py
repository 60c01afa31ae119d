"""SAQ worker hooks that count each job run and time it, per task."""

from __future__ import annotations

from typing import Any

from saq.job import Status
from saq.utils import now

from adapters.metrics.jobs import job_finished, job_started

_OUTCOMES = {Status.COMPLETE: "succeeded", Status.QUEUED: "retried"}  # anything else (failed, aborted) failed


async def before_job(ctx: Any) -> None:
    job = ctx.get("job")
    if job is not None:
        job_started(job.function)


async def after_job(ctx: Any) -> None:
    job = ctx.get("job")
    if job is None:
        return
    outcome = _OUTCOMES.get(job.status, "failed")
    job_finished(job.function, outcome, max(0.0, (now() - job.started) / 1000))
