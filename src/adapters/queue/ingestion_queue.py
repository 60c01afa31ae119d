"""Puts ingestion jobs on the SAQ queue for the worker."""

from __future__ import annotations

import uuid

from saq.queue.base import Queue

INGEST_TASK = "ingest_document"


class SaqIngestionQueue:
    def __init__(self, queue: Queue, timeout_seconds: int = 900) -> None:
        self._queue = queue
        self._timeout = timeout_seconds

    async def enqueue_ingestion(self, job_id: uuid.UUID) -> None:
        # a fresh key per relay: SAQ ignores keys it still remembers, and the outbox's claim() dedupes runs
        await self._queue.enqueue(
            INGEST_TASK,
            key=f"ingest:{job_id}:{uuid.uuid4().hex[:12]}",
            job_id=str(job_id),
            timeout=self._timeout,
            retries=1,  # retries are the outbox's job (backoff, attempt count, failure status)
        )


SUMMARY_TASK = "summarize_document"


class SaqTaskQueue:
    def __init__(self, queue: Queue) -> None:
        self._queue = queue

    async def enqueue_summary(self, task_id: uuid.UUID) -> None:
        await self._queue.enqueue(SUMMARY_TASK, key=f"summary:{task_id}", task_id=str(task_id), timeout=300)
