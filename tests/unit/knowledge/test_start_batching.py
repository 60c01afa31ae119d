"""Concurrent ingestion runs are claimed in one call; a busy job is claimed alone, waiting; a failed batch
is claimed job by job."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from application.knowledge.ports import IngestionJob, JobStatus, RunStart, StartedRuns
from application.knowledge.start_batching import CoalescingStarts

NOW = datetime(2026, 12, 2, tzinfo=UTC)


def _run(job_id: UUID) -> RunStart:
    job = IngestionJob(job_id, uuid4(), JobStatus.RUNNING, 1, NOW, NOW, NOW, locked_until=NOW + timedelta(minutes=5))
    return RunStart(job, None, None)


class _Starts:
    """Claims any job not in ``taken``; reports ``locked`` ones busy unless waiting; fails while ``down``."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[UUID], bool]] = []
        self.taken: set[UUID] = set()
        self.locked: set[UUID] = set()
        self.down: set[UUID] = set()

    async def start(self, job_ids: Sequence[UUID], now: datetime, lease_until: datetime, *, wait: bool) -> StartedRuns:
        self.calls.append((sorted(job_ids), wait))
        await asyncio.sleep(0)
        if self.down & set(job_ids):
            raise ConnectionError("database unreachable")
        busy = set() if wait else self.locked & set(job_ids)
        started = {j: _run(j) for j in job_ids if j not in busy and j not in self.taken}
        return StartedRuns(started, frozenset(busy))


def _claims(starts: CoalescingStarts, *job_ids: UUID) -> asyncio.Future[list[RunStart | None]]:
    return asyncio.gather(*(starts.start(j, NOW, NOW + timedelta(minutes=5)) for j in job_ids))


async def test_concurrent_starts_share_one_claim_and_a_busy_job_is_claimed_alone_waiting() -> None:
    inner = _Starts()
    free, locked, taken = sorted([uuid4(), uuid4(), uuid4()])
    inner.locked, inner.taken = {locked}, {taken}

    results = await asyncio.wait_for(_claims(CoalescingStarts(inner, linger_seconds=0.05), free, locked, taken), 10)

    assert [r.job.id if r else None for r in results] == [free, locked, None]
    assert inner.calls == [(sorted([free, locked, taken]), False), ([locked], True)]


async def test_the_same_job_twice_in_a_batch_is_claimed_by_one_run() -> None:
    inner = _Starts()
    job = uuid4()
    results = await asyncio.wait_for(_claims(CoalescingStarts(inner, linger_seconds=0.05), job, job), 10)
    assert [r is not None for r in results] == [True, False]
    assert inner.calls == [([job], False)]


async def test_a_failed_claim_is_tried_job_by_job_and_fails_only_its_own_start() -> None:
    inner = _Starts()
    good, bad = uuid4(), uuid4()
    inner.down = {bad}
    starts = CoalescingStarts(inner, linger_seconds=0.05)
    results = await asyncio.wait_for(
        asyncio.gather(*(starts.start(j, NOW, NOW) for j in (good, bad)), return_exceptions=True), 10
    )
    assert isinstance(results[0], RunStart)
    assert isinstance(results[1], ConnectionError)
    assert len(inner.calls) == 3  # the batch, then each alone
