"""The worker's heartbeat loop: which jobs it touches, and how it reports an outage."""

from __future__ import annotations

import asyncio
import logging

import pytest
from saq.job import Job
from saq.types import JobTaskContext

from entrypoints.worker.liveness import due_for_a_beat, keep_jobs_alive


def test_a_job_is_due_a_third_of_its_heartbeat_after_its_last_touch() -> None:
    job = Job("work", heartbeat=3, touched=10_000)
    assert not due_for_a_beat(job, 10_999)
    assert due_for_a_beat(job, 11_000)
    assert not due_for_a_beat(Job("work", heartbeat=0, touched=0), 10**12)  # no heartbeat: never touched


async def test_running_jobs_are_touched_and_an_outage_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    stopping = asyncio.Event()
    never_done = asyncio.get_running_loop().create_future()
    finished = asyncio.get_running_loop().create_future()
    finished.set_result(None)
    running = {
        Job("work", key="running", heartbeat=3): JobTaskContext(task=never_done, aborted=None),  # type: ignore[typeddict-item]
        Job("work", key="finishing", heartbeat=3): JobTaskContext(task=finished, aborted=None),  # type: ignore[typeddict-item]
    }
    outcomes: list[Exception | None] = [ConnectionError("down"), ConnectionError("down"), None, None]
    touched: list[str] = []

    async def touch(job: Job) -> bool:
        outcome = outcomes.pop(0) if outcomes else None
        if outcome is not None:
            raise outcome
        touched.append(job.key)
        if not outcomes:
            stopping.set()
        return True

    with caplog.at_level(logging.INFO, logger="lore.worker"):
        await asyncio.wait_for(keep_jobs_alive(running, touch, stopping, tick_seconds=0.01), timeout=10)
    never_done.cancel()

    assert set(touched) == {"running"}  # a job whose run is over is left to SAQ
    messages = [r.getMessage() for r in caplog.records if r.name == "lore.worker"]
    assert messages.count("could not write job heartbeats; their jobs may be run again") == 1
    assert messages.count("job heartbeats are written again") == 1
