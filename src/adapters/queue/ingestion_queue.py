"""Puts ingestion jobs on the SAQ queue for the worker."""

from __future__ import annotations

import uuid

from saq.queue.base import Queue

from adapters.outages import queue_outage_unavailable
from adapters.trace_context import trace_meta

INGEST_TASK = "ingest_document"
REDELIVERIES = 3  # a job whose worker keeps dying is left to the outbox after the third (its lease, or 10 min)


class SaqIngestionQueue:
    def __init__(self, queue: Queue, timeout_seconds: int = 900) -> None:
        self._queue = queue
        self._timeout = timeout_seconds

    async def enqueue_ingestion(self, job_id: uuid.UUID, trace_context: str | None = None) -> None:
        # a fresh key per relay: SAQ ignores keys it still remembers, and the outbox's claim() dedupes runs
        with queue_outage_unavailable():
            await self._queue.enqueue(
                INGEST_TASK,
                key=f"ingest:{job_id}:{uuid.uuid4().hex[:12]}",
                job_id=str(job_id),
                timeout=self._timeout,
                # SAQ's retries only redeliver: a job swept from a dead worker, or one whose run raised (e.g. the
                # database was down). claim() lets one run through at a time; backoff, attempt count and
                # failure status stay the outbox's job.
                retries=REDELIVERIES,
                # the trace of the upload, not of the relay that happens to send it (see README, Traces)
                meta=trace_meta(trace_context),
            )


SUMMARY_TASK = "summarize_document"


class SaqSummaryTaskQueue:
    def __init__(self, queue: Queue) -> None:
        self._queue = queue

    async def enqueue_summary(self, task_id: uuid.UUID) -> None:
        # redelivered like ingestion jobs: a summary whose worker died runs again from the start
        with queue_outage_unavailable():
            await self._queue.enqueue(
                SUMMARY_TASK,
                key=f"summary:{task_id}",
                task_id=str(task_id),
                timeout=300,
                retries=REDELIVERIES,
                meta=trace_meta(),
            )
