"""The worker's ingestion pipeline: extract, chunk along headings, embed, index — then swap chunks atomically."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from uuid import UUID

from application.knowledge.events import document_event, emit_document
from application.knowledge.lease import lease_kept
from application.knowledge.outbox import retry_delay
from application.knowledge.policy import KnowledgePolicy
from application.knowledge.ports import (
    BlobMissingError,
    BlobStore,
    DocumentRepository,
    FinishedRun,
    IngestionEmbedder,
    IngestionJobRepository,
    IngestionLeases,
    IngestionMetrics,
    IngestionRuns,
    IngestionWrites,
    NewChunk,
    RunOutcome,
    StoredSource,
    TextExtractor,
)
from application.shared.event_stream import EventEmitter
from application.shared.ports import Clock, UnitOfWork
from domain.knowledge.errors import ExtractionError
from domain.knowledge.models import Document, DocumentStatus
from domain.knowledge.structure import chunk_blocks, lay_out
from domain.shared.events import EventType

logger = logging.getLogger(__name__)


class Stage(StrEnum):
    EXTRACT = "extract"
    CHUNK = "chunk"
    EMBED = "embed"
    INDEX = "index"


class IngestOutcome(StrEnum):
    READY = "ready"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class IngestResult:
    outcome: IngestOutcome
    chunks: int = 0


class _StageError(Exception):
    def __init__(self, stage: Stage, cause: Exception) -> None:
        super().__init__(f"{stage.value}: {cause}")
        self.stage = stage
        self.cause = cause


class IngestDocument:
    """Worker side: claims an ingestion job under a lease and extracts, chunks and embeds its document.

    Called by the worker only (no principal). A job that is done, superseded or held by another worker's lease
    is skipped; a failure is recorded on the document with its stage and retried with backoff, so it raises only
    when the database or queue does.
    """

    def __init__(
        self,
        runs: IngestionRuns,
        writes: IngestionWrites,
        jobs: IngestionJobRepository,
        documents: DocumentRepository,
        extractor: TextExtractor,
        embedder: IngestionEmbedder,
        uow: UnitOfWork,
        clock: Clock,
        policy: KnowledgePolicy,
        leases: IngestionLeases,
        metrics: IngestionMetrics,
        events: EventEmitter,
        blobs: BlobStore,
    ) -> None:
        self._blobs = blobs
        self._metrics = metrics
        self._events = events
        self._jobs = jobs
        self._leases = leases
        self._documents = documents
        self._runs = runs
        self._writes = writes
        self._extractor = extractor
        self._embedder = embedder
        self._uow = uow
        self._clock = clock
        self._policy = policy

    async def execute(self, job_id: UUID) -> IngestResult:
        # start (claim + mark processing + read the source) and the outcome (hold + content check, then chunks,
        # document and job) each commit in a transaction of their own, which the app-scoped ports share among
        # the worker's concurrent runs (start_batching.py, write_batching.py). Nothing is held open while the
        # source is extracted and embedded.
        now = self._clock.now()
        started = await self._runs.start(job_id, now, now + timedelta(seconds=self._policy.lease_seconds))
        if started is None:  # done, superseded, or running under another worker's lease
            await self._uow.commit()
            return IngestResult(IngestOutcome.SKIPPED)
        job, document = started.job, started.document
        if document is None:
            await self._jobs.finish(job.id, now)
            await self._uow.commit()
            return IngestResult(IngestOutcome.SKIPPED)
        await self._uow.commit()
        try:
            # renewed while it works: only a worker gone silent loses the job to another run
            async with lease_kept(self._leases, self._clock, job.id, job.attempts, self._policy.lease_seconds):
                chunks = await self._build_chunks(document, await self._original(started.source))
        except _StageError as failure:
            self._metrics.stage_failed(failure.stage.value)
            await self._uow.rollback()
            return await self._handle_failure(job.id, job.attempts, document.id, failure)
        model = self._embedder.model if self._embedder.enabled else None
        ready = document.with_changes(status=DocumentStatus.READY, chunk_count=len(chunks))
        event = document_event(self._events, EventType.DOCUMENT_READY, ready)
        # chunks, status, job and event in one transaction, shared with the other runs finishing now
        (outcome,) = await self._writes.write(
            [FinishedRun(job.id, job.attempts, document, chunks, model, events=(event,))], self._clock.now()
        )
        if outcome is not RunOutcome.WRITTEN:  # a newer run has the job, or a newer version has its own job
            return IngestResult(IngestOutcome.SKIPPED)
        await self._events.hand_on()
        self._metrics.stage_passed(Stage.INDEX.value, len(chunks))
        return IngestResult(IngestOutcome.READY, len(chunks))

    async def _original(self, source: StoredSource | None) -> bytes:
        if source is None or source.blob_key is None:  # from before blob storage (or no source row at all)
            return b"" if source is None else source.data or b""
        try:
            return await self._blobs.read(source.blob_key)
        except BlobMissingError:
            missing = ExtractionError("The original is missing from storage.")
            raise _StageError(Stage.EXTRACT, missing) from None
        except Exception as exc:  # the store is unreachable: retried with backoff
            raise _StageError(Stage.EXTRACT, exc) from exc

    async def _build_chunks(self, document: Document, source: bytes) -> list[NewChunk]:
        try:
            # in a thread: a large PDF would otherwise stall the worker's loop, and with it the
            # heartbeats that keep this and every other running job from being taken as abandoned
            extracted = await asyncio.to_thread(self._extractor.extract, document.content_type, source)
            laid_out = lay_out(extracted.blocks)
            if not laid_out.text:  # e.g. HTML that is all script: "ready" with no chunks would hide the problem
                raise ExtractionError("The document has no extractable text.")
        except Exception as exc:
            raise _StageError(Stage.EXTRACT, exc) from exc
        self._metrics.stage_passed(Stage.EXTRACT.value, 0)
        try:
            spans = chunk_blocks(
                laid_out, max_tokens=self._policy.chunk_max_tokens, overlap=self._policy.chunk_overlap_tokens
            )
        except Exception as exc:  # pragma: no cover - chunking is pure and total on blocks
            raise _StageError(Stage.CHUNK, exc) from exc
        self._metrics.stage_passed(Stage.CHUNK.value, len(spans))
        vectors: list[list[float]] = []
        if self._embedder.enabled and spans:
            try:
                size = self._policy.embed_batch_size
                for offset in range(0, len(spans), size):
                    vectors += await self._embedder.embed([s.text for s in spans[offset : offset + size]])
            except Exception as exc:
                raise _StageError(Stage.EMBED, exc) from exc
            self._metrics.stage_passed(Stage.EMBED.value, len(spans))
        return [
            NewChunk(i, s.text, s.start, s.end, s.token_count, vectors[i] if vectors else None, s.heading_path, s.page)
            for i, s in enumerate(spans)
        ]

    async def _handle_failure(
        self, job_id: UUID, attempts: int, document_id: UUID, failure: _StageError
    ) -> IngestResult:
        if not await self._jobs.hold(job_id, attempts):  # a newer run has it: its outcome counts
            await self._uow.rollback()
            return IngestResult(IngestOutcome.SKIPPED)
        now = self._clock.now()
        message = str(failure.cause)[:500] or type(failure.cause).__name__
        permanent = isinstance(failure.cause, ExtractionError) or attempts >= self._policy.max_attempts
        document = await self._documents.get(document_id)
        if permanent:
            await self._jobs.fail(job_id, now, f"{failure.stage.value}: {message}")
            status = DocumentStatus.FAILED
        else:
            await self._jobs.reschedule(job_id, now, now + retry_delay(self._policy, attempts), message)
            status = DocumentStatus.PENDING
        if document is not None:
            document = document.with_changes(
                status=status, error_stage=failure.stage.value, error_message=message, updated_at=now
            )
            await self._documents.save(document)
            if permanent:
                await emit_document(self._events, EventType.DOCUMENT_FAILED, document)
        await self._uow.commit()
        await self._events.hand_on()
        logger.warning(
            "ingestion failed",
            extra={"document_id": str(document_id), "stage": failure.stage.value, "attempt": attempts},
        )
        return IngestResult(IngestOutcome.FAILED if permanent else IngestOutcome.RETRY)
