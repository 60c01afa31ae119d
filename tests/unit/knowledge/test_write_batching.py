"""Concurrent ingestion jobs write their outcomes in shared transactions; one failed write fails only its job."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import pytest

from application.knowledge.ingest import IngestDocument, IngestOutcome
from application.knowledge.ports import FinishedRun, IngestionWrites, JobStatus, RunOutcome
from application.knowledge.write_batching import CoalescingWrites
from domain.knowledge.models import CollectionRole, DocumentStatus
from tests.support.knowledge_fakes import FakeExtractor, InMemoryIngestionRuns
from tests.unit.knowledge_world import KnowledgeWorld, member


class _Poisoned:
    """The fake writer, but any transaction carrying a run of ``poisoned`` fails as a whole (nothing written)."""

    def __init__(self, inner: IngestionWrites) -> None:
        self._inner = inner
        self.poisoned: set[UUID] = set()
        self.calls: list[int] = []

    async def write(self, runs: Sequence[FinishedRun], now: datetime) -> list[RunOutcome]:
        self.calls.append(len(runs))
        await asyncio.sleep(0)
        if any(run.job_id in self.poisoned for run in runs):
            raise RuntimeError("the chunk swap failed")
        return await self._inner.write(runs, now)


def _ingest(world: KnowledgeWorld, writes: IngestionWrites) -> IngestDocument:
    return IngestDocument(
        InMemoryIngestionRuns(world.tables),
        writes,
        world.jobs,
        world.documents,
        FakeExtractor(),
        world.embedder,
        world.tables,
        world.clock,
        world.policy,
        world.leases,
        world.metrics,
        world.events,
        world.blobs,
    )


async def _three_jobs(world: KnowledgeWorld) -> list[tuple[UUID, UUID]]:
    editor = member()
    collection = world.collection((editor, CollectionRole.EDITOR))
    added = []
    for n in range(3):
        document = await world.add_text(editor, collection, f"document number {n} " * 5)
        (job,) = (j for j in world.tables.durable()["jobs"].values() if j.document_id == document.id)
        added.append((document.id, job.id))
    return added


async def test_concurrent_runs_are_written_in_one_transaction_each_with_its_own_outcome() -> None:
    world = KnowledgeWorld()
    inner = _Poisoned(world.writes)
    ingest = _ingest(world, CoalescingWrites(inner, linger_seconds=0.05))
    added = await _three_jobs(world)

    results = await asyncio.wait_for(asyncio.gather(*(ingest.execute(job) for _, job in added)), timeout=10)

    assert [r.outcome for r in results] == [IngestOutcome.READY] * 3
    assert inner.calls == [3]
    durable = world.tables.durable()
    assert {durable["documents"][d].status for d, _ in added} == {DocumentStatus.READY}
    assert {durable["jobs"][j].status for _, j in added} == {JobStatus.DONE}


async def test_a_failed_batch_is_written_again_run_by_run_and_fails_only_the_bad_one() -> None:
    world = KnowledgeWorld()
    inner = _Poisoned(world.writes)
    ingest = _ingest(world, CoalescingWrites(inner, linger_seconds=0.05))
    added = await _three_jobs(world)
    bad_document, bad_job = added[1]
    inner.poisoned.add(bad_job)

    results = await asyncio.wait_for(
        asyncio.gather(*(ingest.execute(job) for _, job in added), return_exceptions=True),
        timeout=10,
    )

    assert [getattr(r, "outcome", None) for r in results] == [IngestOutcome.READY, None, IngestOutcome.READY]
    assert isinstance(results[1], RuntimeError)
    assert inner.calls == [3, 1, 1, 1]  # the batch, then each alone
    durable = world.tables.durable()
    assert durable["documents"][bad_document].status is DocumentStatus.PROCESSING  # as a failed commit leaves it
    assert durable["jobs"][bad_job].status is JobStatus.RUNNING  # its lease runs out and the job runs again
    assert bad_document not in durable["chunks"]


async def test_calls_beyond_the_limit_go_out_in_batches_of_at_most_the_limit() -> None:
    world = KnowledgeWorld()
    inner = _Poisoned(world.writes)
    writes = CoalescingWrites(inner, max_runs=2, linger_seconds=60)  # only full batches flush early
    added = await _three_jobs(world)
    documents = {d.id: d for d in world.tables.durable()["documents"].values()}
    runs = [FinishedRun(job, 99, documents[doc], [], None) for doc, job in added]

    full = await asyncio.wait_for(writes.write(runs[:2], world.clock.now()), timeout=5)  # a full batch alone
    assert full == [RunOutcome.NOT_HELD] * 2  # not their attempt: nothing held, nothing written
    pending = asyncio.gather(writes.write(runs[2:], world.clock.now()), writes.write(runs[:1], world.clock.now()))
    assert list(await asyncio.wait_for(pending, timeout=5)) == [[RunOutcome.NOT_HELD]] * 2
    assert inner.calls == [2, 2]
    assert await writes.write([], world.clock.now()) == []


@pytest.mark.parametrize("cancelled_first", [True, False])
async def test_a_caller_that_stopped_waiting_does_not_stop_the_others(cancelled_first: bool) -> None:
    world = KnowledgeWorld()
    inner = _Poisoned(world.writes)
    writes = CoalescingWrites(inner, linger_seconds=0.05)
    added = await _three_jobs(world)
    documents = {d.id: d for d in world.tables.durable()["documents"].values()}
    runs = [FinishedRun(job, 99, documents[doc], [], None) for doc, job in added]

    first = asyncio.create_task(writes.write(runs[:1], world.clock.now()))
    second = asyncio.create_task(writes.write(runs[1:], world.clock.now()))
    await asyncio.sleep(0)
    (first if cancelled_first else second).cancel()
    kept = second if cancelled_first else first
    assert set(await asyncio.wait_for(kept, timeout=5)) == {RunOutcome.NOT_HELD}
    assert inner.calls == [3]
