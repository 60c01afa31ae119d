"""lease_kept: a running ingestion job's lease is renewed until its run ends, and never revived once lapsed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest

from application.knowledge.lease import lease_kept
from application.knowledge.ports import IngestionJob, JobStatus
from tests.support.identity_fakes import MovableClock
from tests.support.knowledge_fakes import InMemoryIngestionLeases, KnowledgeTables

LEASE = 0.03  # seconds: renewed every 10 ms


class ScriptedLeases:
    """Answers renewals from ``script`` (a result, or an exception to raise), then True."""

    def __init__(self, *script: bool | Exception) -> None:
        self.script = list(script)
        self.calls: list[tuple[UUID, int, datetime, datetime]] = []

    async def renew(self, job_id: UUID, attempt: int, now: datetime, until: datetime) -> bool:
        self.calls.append((job_id, attempt, now, until))
        answer = self.script.pop(0) if self.script else True
        if isinstance(answer, Exception):
            raise answer
        return answer


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met within 10 s")


def _running(tables: KnowledgeTables, locked_until: datetime) -> IngestionJob:
    job = IngestionJob(
        uuid4(), uuid4(), JobStatus.RUNNING, 1, locked_until, locked_until, locked_until, locked_until=locked_until
    )
    tables.jobs[job.id] = job
    tables.checkpoint()
    return job


async def test_the_lease_moves_forward_while_the_run_works_and_no_longer_once_it_ended() -> None:
    tables, clock = KnowledgeTables(), MovableClock()
    leases = InMemoryIngestionLeases(tables)
    job = _running(tables, clock.now() + timedelta(seconds=LEASE))
    async with lease_kept(leases, clock, job.id, 1, LEASE):
        clock.advance(timedelta(seconds=LEASE / 2))  # time passes within the lease: each renewal extends it
        await _until(lambda: leases.renewals >= 2)
    renewed = tables.durable()["jobs"][job.id].locked_until
    assert renewed == clock.now() + timedelta(seconds=LEASE)  # committed on its own, beside the run's work
    count = leases.renewals
    await asyncio.sleep(LEASE)
    assert leases.renewals == count


async def test_a_lapsed_lease_is_not_revived_and_renewals_stop() -> None:
    tables, clock = KnowledgeTables(), MovableClock()
    leases = ScriptedLeases(False)
    async with lease_kept(leases, clock, uuid4(), 1, LEASE):
        await _until(lambda: len(leases.calls) == 1)
        await asyncio.sleep(LEASE)  # three more periods: no second renewal
        assert len(leases.calls) == 1
    # the in-memory adapter's rule, as the SQL one's: a lapsed lease, or a newer run's, stays as it is
    real = InMemoryIngestionLeases(tables)
    lapsed = _running(tables, clock.now() - timedelta(seconds=1))
    assert not await real.renew(lapsed.id, 1, clock.now(), clock.now() + timedelta(seconds=LEASE))
    held = _running(tables, clock.now() + timedelta(seconds=1))
    assert not await real.renew(held.id, 2, clock.now(), clock.now() + timedelta(seconds=LEASE))
    assert tables.jobs[lapsed.id].locked_until == clock.now() - timedelta(seconds=1)


async def test_a_failed_renewal_is_logged_once_and_tried_again(caplog: pytest.LogCaptureFixture) -> None:
    leases = ScriptedLeases(ConnectionError("database down"), ConnectionError("database down"), True)
    job_id = uuid4()
    with caplog.at_level(logging.WARNING, logger="application.knowledge.lease"):
        async with lease_kept(leases, MovableClock(), job_id, 3, LEASE):
            await _until(lambda: len(leases.calls) >= 4)
    assert [r.getMessage() for r in caplog.records] == ["could not renew an ingestion lease"]
    assert {(call[0], call[1]) for call in leases.calls} == {(job_id, 3)}
    _, _, now, until = leases.calls[0]
    assert until - now == timedelta(seconds=LEASE)
