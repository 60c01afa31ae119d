"""Finished runs of several documents written in one transaction: concurrent ingestion jobs share writes.

CoalescingEmbedder's pattern applied to the database. Each job has its own request scope and session;
their outcomes arriving within a short window (or until a batch is full) go to the inner writer as one
call: one transaction, a few statements, whatever the number of documents. If that transaction fails,
each call of the batch is written again on its own, so one document's failed write fails only its job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.knowledge.coalescing import LINGER_SECONDS, Coalescer
from application.knowledge.ports import FinishedRun, IngestionWrites, RunOutcome

MAX_RUNS = 32  # documents per transaction: bounds the statement's arrays and how long its locks are held


@dataclass(frozen=True, slots=True)
class _Call:
    runs: Sequence[FinishedRun]
    now: datetime


class CoalescingWrites:
    def __init__(
        self, inner: IngestionWrites, max_runs: int = MAX_RUNS, linger_seconds: float = LINGER_SECONDS
    ) -> None:
        self._inner = inner
        self._calls: Coalescer[_Call, list[RunOutcome]] = Coalescer(
            self._write, max_size=max_runs, linger_seconds=linger_seconds, size=lambda call: len(call.runs)
        )

    async def write(self, runs: Sequence[FinishedRun], now: datetime) -> list[RunOutcome]:
        if not runs:
            return []
        return await self._calls.submit(_Call(runs, now))

    async def _write(self, calls: Sequence[_Call]) -> list[list[RunOutcome]]:
        # one timestamp for the batch: the latest of its callers' clocks
        outcomes = await self._inner.write([run for call in calls for run in call.runs], max(c.now for c in calls))
        split, offset = [], 0
        for call in calls:
            split.append(outcomes[offset : offset + len(call.runs)])
            offset += len(call.runs)
        return split
