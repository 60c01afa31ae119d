"""The worker's job hooks count each run by outcome: completed, queued again (retried), failed or aborted."""

from __future__ import annotations

import pytest
from saq.job import Job, Status
from saq.utils import now

from adapters.queue.job_metrics import after_job, before_job
from entrypoints.bootstrap.metrics.exposition import render, snapshot_of
from entrypoints.bootstrap.metrics.provider import collect, setup_metrics
from entrypoints.bootstrap.settings import Settings
from tests.support.prometheus import Scrape, parse


def _scrape() -> Scrape:
    setup_metrics(Settings())  # the process-wide provider; a no-op once installed
    return parse(render([snapshot_of(collect(), "here")]))


@pytest.mark.parametrize(
    ("status", "counter"),
    [
        (Status.COMPLETE, "lore_jobs_succeeded_total"),
        (Status.QUEUED, "lore_jobs_retried_total"),
        (Status.FAILED, "lore_jobs_failed_total"),
        (Status.ABORTED, "lore_jobs_failed_total"),
    ],
)
async def test_each_run_is_counted_once_under_its_outcome(status: Status, counter: str) -> None:
    task = {"lore_task": f"unit_{status.value}"}
    before = _scrape()
    job = Job("unit_" + status.value, started=now() - 1500)
    await before_job({"job": job})
    job.status = status
    await after_job({"job": job})
    await after_job({})  # a run that never got a job records nothing
    after = _scrape()
    assert after.total("lore_jobs_started_total", **task) - before.total("lore_jobs_started_total", **task) == 1
    assert after.total(counter, **task) - before.total(counter, **task) == 1
    durations = after.series("lore_jobs_duration_seconds_sum", **task)
    assert sum(s.value for s in durations) >= 1.5
