"""Starts of concurrent ingestion runs claimed in one transaction: the worker's jobs share the claim.

A worker's slots dequeue jobs at about the same time; their claims arriving within a short window go out as
one statement. A job another transaction has locked (the relay marking it enqueued, a superseded run
writing its outcome) is skipped there, so it does not hold up the others, and claimed on its own, waiting
for the lock as a single claim always did.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from uuid import UUID

from application.knowledge.coalescing import LINGER_SECONDS, Coalescer
from application.knowledge.ports import IngestionRunStarts, RunStart

MAX_STARTS = 32  # jobs per claim: more than a worker's slots dequeue at once


class _Busy(Enum):
    BUSY = "busy"


_Claim = tuple[UUID, datetime, datetime]  # job id, now, lease until


class CoalescingStarts:
    def __init__(
        self, inner: IngestionRunStarts, max_starts: int = MAX_STARTS, linger_seconds: float = LINGER_SECONDS
    ) -> None:
        self._inner = inner
        self._claims: Coalescer[_Claim, RunStart | _Busy | None] = Coalescer(
            self._start, max_size=max_starts, linger_seconds=linger_seconds
        )

    async def start(self, job_id: UUID, now: datetime, lease_until: datetime) -> RunStart | None:
        started = await self._claims.submit((job_id, now, lease_until))
        if started is not _Busy.BUSY:
            return started
        alone = await self._inner.start([job_id], now, lease_until, wait=True)
        return alone.started.get(job_id)

    async def _start(self, claims: Sequence[_Claim]) -> list[RunStart | _Busy | None]:
        # the earliest clock and lease of the batch: no lease counts as lapsed early, none is made longer
        runs = await self._inner.start(
            list({job_id for job_id, _, _ in claims}),
            min(now for _, now, _ in claims),
            min(until for _, _, until in claims),
            wait=False,
        )
        results: list[RunStart | _Busy | None] = []
        seen: set[UUID] = set()
        for job_id, _, _ in claims:
            # the same job twice (delivered twice at once): one run claims it, as two claims one after the other
            results.append(None if job_id in seen else _Busy.BUSY if job_id in runs.busy else runs.started.get(job_id))
            seen.add(job_id)
        return results
