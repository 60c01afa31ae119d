"""Finished runs of several documents written in one transaction: concurrent ingestion jobs share writes.

CoalescingEmbedder's pattern applied to the database. Each job has its own request scope and session;
their outcomes arriving within a short window (or until a batch is full) go to the inner writer as one
call: one transaction, a few statements, whatever the number of documents. If that transaction fails,
each call of the batch is written again on its own, so one document's failed write fails only its job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.knowledge.ports import FinishedRun, IngestionWrites, RunOutcome

LINGER_SECONDS = 0.005  # how long a write waits for company: small beside one transaction at load
MAX_RUNS = 32  # documents per transaction: bounds the statement's arrays and how long its locks are held


@dataclass(frozen=True, slots=True)
class _Call:
    runs: Sequence[FinishedRun]
    now: datetime
    future: asyncio.Future[list[RunOutcome]]


class CoalescingWrites:
    def __init__(
        self, inner: IngestionWrites, max_runs: int = MAX_RUNS, linger_seconds: float = LINGER_SECONDS
    ) -> None:
        self._inner = inner
        self._max_runs = max_runs
        self._linger_seconds = linger_seconds
        self._pending: list[_Call] = []
        self._size = 0
        self._timer: asyncio.TimerHandle | None = None
        self._writing: set[asyncio.Task[None]] = set()

    async def write(self, runs: Sequence[FinishedRun], now: datetime) -> list[RunOutcome]:
        if not runs:
            return []
        if len(runs) >= self._max_runs:
            return await self._inner.write(runs, now)  # a full batch on its own
        if self._size + len(runs) > self._max_runs:
            self._flush()
        loop = asyncio.get_running_loop()
        call = _Call(runs, now, loop.create_future())
        self._pending.append(call)
        self._size += len(runs)
        if self._size >= self._max_runs:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self._linger_seconds, self._flush)
        return await call.future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending, self._size = self._pending, [], 0
        if batch:
            task = asyncio.get_running_loop().create_task(self._write(batch))
            self._writing.add(task)  # a reference, so the task is not collected while it runs
            task.add_done_callback(self._writing.discard)

    async def _write(self, batch: list[_Call]) -> None:
        try:
            await self._write_batch(batch)
        finally:  # this task cancelled (the loop closing): no caller waits for ever
            for call in batch:
                if not call.future.done():
                    call.future.cancel()

    async def _write_batch(self, batch: list[_Call]) -> None:
        if len(batch) == 1:
            await self._alone(batch[0])
            return
        try:
            # one timestamp for the batch: the latest of its callers' clocks
            outcomes = await self._inner.write([run for call in batch for run in call.runs], max(c.now for c in batch))
        except Exception:  # noqa: BLE001 - nothing was written: each call tries again alone, failing only itself
            for call in batch:
                await self._alone(call)
            return
        offset = 0
        for call in batch:
            if not call.future.done():  # a job cancelled meanwhile has stopped waiting (its outcome is written)
                call.future.set_result(outcomes[offset : offset + len(call.runs)])
            offset += len(call.runs)

    async def _alone(self, call: _Call) -> None:
        try:
            outcomes = await self._inner.write(call.runs, call.now)
        except Exception as exc:  # noqa: BLE001 - handed to the waiting job, which raises it
            if not call.future.done():
                call.future.set_exception(exc)
            return
        if not call.future.done():
            call.future.set_result(outcomes)
