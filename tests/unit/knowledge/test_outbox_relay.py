"""The relay half of the outbox, with fakes: due jobs reach the queue at least once, none is lost."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest

from application.knowledge.outbox import RelayOutbox
from application.knowledge.ports import IngestionJob, JobStatus
from domain.shared.errors import DependencyUnavailableError
from tests.unit.knowledge_world import KnowledgeWorld


def _job(
    world: KnowledgeWorld,
    status: JobStatus = JobStatus.PENDING,
    *,
    available_at: datetime | None = None,
    locked_until: datetime | None = None,
    trace_context: str | None = None,
) -> IngestionJob:
    now = world.clock.now()
    job = IngestionJob(
        world.ids.new_id(), uuid4(), status, 0, available_at or now, now, now, locked_until, trace_context=trace_context
    )
    world.tables.jobs[job.id] = job
    world.tables.checkpoint()
    return job


async def test_due_jobs_are_enqueued_and_marked_and_later_ones_wait() -> None:
    world = KnowledgeWorld()
    due = _job(world)
    later = _job(world, available_at=world.clock.now() + timedelta(seconds=30))
    assert await world.relay.execute() == 1
    assert world.queue.enqueued == [due.id]
    jobs = world.tables.durable()["jobs"]
    assert (jobs[due.id].status, jobs[later.id].status) == (JobStatus.ENQUEUED, JobStatus.PENDING)

    world.later(31)
    assert await world.relay.execute() == 1
    assert world.queue.enqueued == [due.id, later.id]


async def test_each_job_goes_to_the_queue_with_the_trace_of_the_work_that_created_it() -> None:
    world = KnowledgeWorld()
    upload = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    traced, untraced = _job(world, trace_context=upload), _job(world)
    assert await world.relay.execute() == 2
    assert world.queue.trace_contexts == {traced.id: upload, untraced.id: None}


async def test_a_running_job_whose_lease_ran_out_is_sent_again() -> None:
    world = KnowledgeWorld()
    now = world.clock.now()
    held = _job(world, JobStatus.RUNNING, locked_until=now + timedelta(seconds=60))
    assert await world.relay.execute() == 0
    world.later(61)  # the worker holding it died
    assert await world.relay.execute() == 1
    assert world.queue.enqueued == [held.id]


async def test_an_unreachable_queue_raises_and_leaves_every_job_due() -> None:
    world = KnowledgeWorld()
    first, second = _job(world), _job(world)
    world.queue.down = True
    with pytest.raises(DependencyUnavailableError):
        await world.relay.execute()
    jobs = world.tables.durable()["jobs"]
    assert {jobs[first.id].status, jobs[second.id].status} == {JobStatus.PENDING}

    await world.relay.try_now()  # best effort: the same outage is only logged
    world.queue.down = False
    assert await world.relay.execute() == 2
    assert sorted(world.queue.enqueued) == sorted([first.id, second.id])


async def test_jobs_sent_before_the_queue_failed_are_not_sent_twice() -> None:
    world = KnowledgeWorld()
    first, second = _job(world), _job(world)

    class FailsOnSecond:
        def __init__(self) -> None:
            self.enqueued: list[UUID] = []

        async def enqueue_ingestion(self, job_id: UUID, trace_context: str | None = None) -> None:
            if self.enqueued:
                raise DependencyUnavailableError("The job queue is unavailable.")
            self.enqueued.append(job_id)

    relay = RelayOutbox(world.jobs, FailsOnSecond(), world.tables, world.clock, world.policy)
    with pytest.raises(DependencyUnavailableError):
        await relay.execute()
    jobs = world.tables.durable()["jobs"]
    assert (jobs[first.id].status, jobs[second.id].status) == (JobStatus.ENQUEUED, JobStatus.PENDING)
