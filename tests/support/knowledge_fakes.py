"""In-memory fakes of the knowledge ports: search and retrieval, and the repositories, outbox and queue
that documents and ingestion use (sharing one set of tables with commit and rollback)."""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from application.knowledge.ports import (
    BlobMissingError,
    ChunkHit,
    CollectionView,
    DocumentQuery,
    FinishedRun,
    IngestionJob,
    JobStatus,
    LegacySource,
    NewChunk,
    RunOutcome,
    RunStart,
    SearchFilters,
    SearchScope,
    StoredBlob,
    StoredSource,
    blob_key,
)
from application.shared.ports import Page, PageRequest
from domain.knowledge.errors import DuplicateDocumentError, EmbeddingsUnavailableError, ExtractionError
from domain.knowledge.models import Chunk, Collection, CollectionRole, ContentType, Document, DocumentStatus, Membership
from domain.knowledge.structure import StructuredText, markdown_blocks
from domain.shared.errors import DependencyUnavailableError
from domain.shared.events import DomainEvent


def hit(text: str, collection_id: UUID | None = None) -> ChunkHit:
    return ChunkHit(uuid4(), uuid4(), collection_id or uuid4(), "Doc", text, 0, len(text), 1.0)


class FakeSearchIndex:
    """Answers keyword and vector queries with fixed hits and records which ran."""

    def __init__(self, keyword: Sequence[ChunkHit] = (), vector: Sequence[ChunkHit] = ()) -> None:
        self.keyword_hits = list(keyword)
        self.vector_hits = list(vector)
        self.calls: list[str] = []
        self.scopes: list[SearchScope] = []

    async def keyword(self, query: str, scope: SearchScope, filters: SearchFilters, limit: int) -> list[ChunkHit]:
        self.calls.append("keyword")
        self.scopes.append(scope)
        return self.keyword_hits[:limit]

    async def vector(
        self, embedding: Sequence[float], model: str, scope: SearchScope, filters: SearchFilters, limit: int
    ) -> list[ChunkHit]:
        self.calls.append("vector")
        self.scopes.append(scope)
        return self.vector_hits[:limit]


class FakeEmbedder:
    """Embeds to a constant vector, or fails like a server that is down while ``down`` is set."""

    def __init__(self, *, enabled: bool = True, down: bool = False) -> None:
        self._enabled = enabled
        self.down = down
        self.calls = 0

    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def model(self) -> str:
        return "fake-embed" if self._enabled else ""

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        if self.down:
            raise EmbeddingsUnavailableError("The embeddings server is not answering (connection failed).")
        return [[1.0, 0.0] for _ in texts]


class FakeReadableCollections:
    def __init__(self, members: dict[UUID, set[UUID]] | None = None, existing: set[UUID] | None = None) -> None:
        self.members = members or {}  # user -> collections they belong to
        self.existing = existing if existing is not None else set().union(*self.members.values())

    async def readable(
        self, user_id: UUID, collection_ids: frozenset[UUID], *, all_collections: bool
    ) -> frozenset[UUID]:
        visible = self.existing if all_collections else self.members.get(user_id, set())
        return frozenset(collection_ids & visible)


class KnowledgeTables:
    """The rows the knowledge repositories below share. Writes are visible at once (as in a session);
    ``commit`` makes them durable and ``rollback`` returns every table to the last commit."""

    def __init__(self) -> None:
        self.collections: dict[UUID, Collection] = {}
        self.members: dict[tuple[UUID, UUID], Membership] = {}
        self.documents: dict[UUID, Document] = {}
        self.sources: dict[UUID, StoredSource] = {}
        self.garbage: dict[str, None] = {}  # blob keys that lost a reference (the database's trigger notes them)
        self.chunks: dict[UUID, list[Chunk]] = {}  # by document
        self.chunk_models: dict[UUID, str | None] = {}  # the embedding model of each document's chunks
        self.jobs: dict[UUID, IngestionJob] = {}
        self.events: dict[UUID, DomainEvent] = {}  # the events outbox
        self.handed_on: dict[UUID, datetime] = {}
        self.commits = 0
        self.rollbacks = 0
        self._durable = self._snapshot()

    _TABLES = (
        "collections",
        "members",
        "documents",
        "sources",
        "garbage",
        "chunks",
        "chunk_models",
        "jobs",
        "events",
        "handed_on",
    )

    def _snapshot(self) -> dict[str, dict[Any, Any]]:
        return {name: dict(getattr(self, name)) for name in self._TABLES}

    def checkpoint(self) -> None:
        """Make the current rows durable (a commit, or seeding a test's starting state)."""
        self._durable = self._snapshot()

    async def commit(self) -> None:
        self.commits += 1
        self.checkpoint()

    async def rollback(self) -> None:
        self.rollbacks += 1
        for name, rows in self._durable.items():
            setattr(self, name, dict(rows))

    def durable(self) -> dict[str, dict[Any, Any]]:
        """What a fresh session would read: the tables as of the last commit."""
        return self._durable


class InMemoryCollections:
    def __init__(self, tables: KnowledgeTables) -> None:
        self._t = tables

    async def add(self, collection: Collection) -> None:
        self._t.collections[collection.id] = collection

    async def get(self, collection_id: UUID) -> Collection | None:
        return self._t.collections.get(collection_id)

    async def save(self, collection: Collection) -> None:
        self._t.collections[collection.id] = collection

    async def delete(self, collection_id: UUID) -> None:
        self._t.collections.pop(collection_id, None)

    async def get_many(self, collection_ids: Sequence[UUID]) -> dict[UUID, Collection]:
        return {i: self._t.collections[i] for i in collection_ids if i in self._t.collections}

    async def get_owned_by_name(self, owner_id: UUID, name: str) -> Collection | None:
        return next((c for c in self._t.collections.values() if c.created_by == owner_id and c.name == name), None)

    async def list_named(self, name: str) -> list[Collection]:
        return [c for c in self._t.collections.values() if c.name == name]

    async def document_count(self, collection_id: UUID) -> int:
        return sum(d.collection_id == collection_id for d in self._t.documents.values())

    async def list_visible(self, user_id: UUID, *, all_collections: bool, page: PageRequest) -> Page[CollectionView]:
        raise NotImplementedError  # no use case under unit test lists collections


class InMemoryMemberships:
    def __init__(self, tables: KnowledgeTables) -> None:
        self._t = tables

    async def role_of(self, collection_id: UUID, user_id: UUID) -> CollectionRole | None:
        membership = self._t.members.get((collection_id, user_id))
        return None if membership is None else membership.role

    async def put(self, membership: Membership) -> None:
        self._t.members[(membership.collection_id, membership.user_id)] = membership

    async def remove(self, collection_id: UUID, user_id: UUID) -> bool:
        return self._t.members.pop((collection_id, user_id), None) is not None

    async def list(self, collection_id: UUID) -> list[Membership]:
        return [m for (cid, _), m in self._t.members.items() if cid == collection_id]

    async def roles_in(self, collection_ids: Sequence[UUID], user_id: UUID) -> dict[UUID, CollectionRole]:
        return {i: m.role for i in collection_ids if (m := self._t.members.get((i, user_id))) is not None}

    async def list_many(self, collection_ids: Sequence[UUID]) -> dict[UUID, builtins.list[Membership]]:
        return {i: await self.list(i) for i in collection_ids}

    async def count_owners(self, collection_id: UUID) -> int:
        return sum(m.role is CollectionRole.OWNER for m in await self.list(collection_id))


class InMemoryDocuments:
    """Unique content per collection, as the database's unique index makes it."""

    def __init__(self, tables: KnowledgeTables) -> None:
        self._t = tables

    async def add(self, document: Document, source: StoredSource) -> None:
        if await self.find_by_hash(document.collection_id, document.content_hash) is not None:
            raise DuplicateDocumentError()
        self._t.documents[document.id] = document
        self._t.sources[document.id] = source

    async def get(self, document_id: UUID) -> Document | None:
        return self._t.documents.get(document_id)

    async def source_of(self, document_id: UUID) -> StoredSource | None:
        return self._t.sources.get(document_id)

    def _lose(self, document_id: UUID) -> None:
        earlier = self._t.sources.pop(document_id, None)
        if earlier is not None and earlier.blob_key is not None:
            self._t.garbage[earlier.blob_key] = None

    async def find_by_hash(self, collection_id: UUID, content_hash: str) -> Document | None:
        return next(
            (
                d
                for d in self._t.documents.values()
                if d.collection_id == collection_id and d.content_hash == content_hash
            ),
            None,
        )

    async def find_by_idempotency_key(self, collection_id: UUID, created_by: UUID, key: str) -> Document | None:
        return next(
            (
                d
                for d in self._t.documents.values()
                if (d.collection_id, d.created_by, d.idempotency_key) == (collection_id, created_by, key)
            ),
            None,
        )

    async def save(self, document: Document, source: StoredSource | None = None) -> None:
        self._t.documents[document.id] = document
        if source is not None:
            self._lose(document.id)
            self._t.sources[document.id] = source

    async def delete(self, document_id: UUID) -> None:  # chunks, source and jobs cascade
        self._t.documents.pop(document_id, None)
        self._lose(document_id)
        self._t.chunks.pop(document_id, None)
        self._t.jobs = {k: j for k, j in self._t.jobs.items() if j.document_id != document_id}

    async def ids_in_collection(self, collection_id: UUID) -> builtins.list[UUID]:
        return [d.id for d in self._t.documents.values() if d.collection_id == collection_id]

    async def list(self, query: DocumentQuery) -> Page[Document]:
        rows = [d for d in self._t.documents.values() if d.collection_id == query.collection_id]
        rows = [d for d in rows if query.status is None or d.status is query.status]
        items = rows[query.page.offset : query.page.offset + query.page.limit]
        return Page(items, len(rows), query.page.limit, query.page.offset)

    async def list_many(self, queries: Sequence[DocumentQuery]) -> builtins.list[Page[Document]]:
        return [await self.list(query) for query in queries]


class InMemoryChunks:
    def __init__(self, tables: KnowledgeTables, ids: Callable[[], UUID] = uuid4) -> None:
        self._t = tables
        self._ids = ids

    async def replace(self, document: Document, chunks: Sequence[NewChunk], embedding_model: str | None) -> None:
        self._t.chunks[document.id] = [
            Chunk(
                self._ids(),
                document.id,
                document.collection_id,
                c.ordinal,
                c.text,
                c.start,
                c.end,
                c.token_count,
                c.heading_path,
                c.page,
            )
            for c in chunks
        ]
        self._t.chunk_models[document.id] = embedding_model

    async def list(self, document_id: UUID, page: PageRequest) -> Page[Chunk]:
        rows = sorted(self._t.chunks.get(document_id, []), key=lambda c: c.ordinal)
        return Page(rows[page.offset : page.offset + page.limit], len(rows), page.limit, page.offset)


_OPEN = (JobStatus.PENDING, JobStatus.ENQUEUED, JobStatus.RUNNING)


class InMemoryIngestionJobs:
    """The outbox with the SQL repository's rules: leased claims, only the newest run may finish."""

    def __init__(self, tables: KnowledgeTables) -> None:
        self._t = tables

    def _set(self, job_id: UUID, **changes: Any) -> None:
        self._t.jobs[job_id] = replace(self._t.jobs[job_id], **changes)

    async def add(self, job: IngestionJob) -> None:
        self._t.jobs[job.id] = job

    async def get(self, job_id: UUID) -> IngestionJob | None:
        return self._t.jobs.get(job_id)

    async def due(self, now: datetime, limit: int) -> builtins.list[IngestionJob]:
        def is_due(job: IngestionJob) -> bool:
            if job.status is JobStatus.PENDING:
                return job.available_at <= now
            return job.status is JobStatus.RUNNING and job.locked_until is not None and job.locked_until < now

        return sorted(filter(is_due, self._t.jobs.values()), key=lambda j: j.available_at)[:limit]

    async def mark_enqueued(self, job_ids: Sequence[UUID], now: datetime) -> None:
        for job_id in job_ids:
            if self._t.jobs[job_id].status is not JobStatus.DONE:
                self._set(job_id, status=JobStatus.ENQUEUED, updated_at=now, locked_until=None)

    async def claim(self, job_id: UUID, now: datetime, lease_until: datetime) -> IngestionJob | None:
        job = self._t.jobs.get(job_id)
        if job is None:
            return None
        lapsed = job.status is JobStatus.RUNNING and job.locked_until is not None and job.locked_until < now
        if job.status not in (JobStatus.PENDING, JobStatus.ENQUEUED) and not lapsed:
            return None
        self._set(job_id, status=JobStatus.RUNNING, attempts=job.attempts + 1, locked_until=lease_until, updated_at=now)
        return self._t.jobs[job_id]

    async def hold(self, job_id: UUID, attempt: int) -> bool:
        job = self._t.jobs.get(job_id)
        return job is not None and job.attempts == attempt and job.status in (JobStatus.RUNNING, JobStatus.ENQUEUED)

    async def finish(self, job_id: UUID, now: datetime) -> None:
        self._set(job_id, status=JobStatus.DONE, locked_until=None, updated_at=now)

    async def reschedule(self, job_id: UUID, now: datetime, available_at: datetime, error: str) -> None:
        self._set(
            job_id,
            status=JobStatus.PENDING,
            available_at=available_at,
            locked_until=None,
            last_error=error,
            updated_at=now,
        )

    async def fail(self, job_id: UUID, now: datetime, error: str) -> None:
        self._set(job_id, status=JobStatus.FAILED, locked_until=None, last_error=error, updated_at=now)

    async def list(self, status: JobStatus | None, limit: int) -> builtins.list[IngestionJob]:
        rows = sorted(self._t.jobs.values(), key=lambda j: j.created_at, reverse=True)
        return [j for j in rows if status is None or j.status is status][:limit]

    async def cancel_for_document(self, document_id: UUID, now: datetime) -> None:
        for job in builtins.list(self._t.jobs.values()):
            if job.document_id == document_id and job.status in _OPEN:
                self._set(job.id, status=JobStatus.DONE, last_error="superseded by a newer version", updated_at=now)


class InMemoryIngestionRuns:
    """An ingestion run's steps with the other fakes' rules (the SQL adapter makes each one statement)."""

    def __init__(self, tables: KnowledgeTables) -> None:
        self._t = tables
        self._jobs = InMemoryIngestionJobs(tables)
        self._chunks = InMemoryChunks(tables)

    async def start(self, job_id: UUID, now: datetime, lease_until: datetime) -> RunStart | None:
        job = await self._jobs.claim(job_id, now, lease_until)
        if job is None:
            return None
        document = self._t.documents.get(job.document_id)
        if document is None:
            return RunStart(job, None, None)
        marked = document.with_changes(status=DocumentStatus.PROCESSING, updated_at=now)
        self._t.documents[document.id] = marked
        return RunStart(job, marked, self._t.sources.get(document.id))


class InMemoryIngestionWrites:
    """Finished runs with the SQL adapter's rules, committed on their own (as its transaction is)."""

    def __init__(self, tables: KnowledgeTables) -> None:
        self._t = tables
        self._jobs = InMemoryIngestionJobs(tables)
        self._chunks = InMemoryChunks(tables)
        self.calls: list[int] = []  # runs per call

    async def write(self, runs: Sequence[FinishedRun], now: datetime) -> list[RunOutcome]:
        self.calls.append(len(runs))
        outcomes = [await self._write(run, now) for run in runs]
        self._t.checkpoint()
        return outcomes

    async def _write(self, run: FinishedRun, now: datetime) -> RunOutcome:
        if not await self._jobs.hold(run.job_id, run.attempt):
            return RunOutcome.NOT_HELD
        current = self._t.documents.get(run.document.id)
        if current is None or current.content_hash != run.document.content_hash:
            await self._jobs.finish(run.job_id, now)
            return RunOutcome.SUPERSEDED
        await self._chunks.replace(run.document, run.chunks, run.embedding_model)
        self._t.documents[current.id] = current.with_changes(
            status=DocumentStatus.READY,
            chunk_count=len(run.chunks),
            error_stage=None,
            error_message=None,
            updated_at=now,
        )
        await self._jobs.finish(run.job_id, now)
        for event in run.events:
            self._t.events[event.id] = event
        return RunOutcome.WRITTEN


class InMemoryIngestionLeases:
    """Lease renewals on the in-memory outbox, with the SQL adapter's rule: a lapsed lease stays lapsed."""

    def __init__(self, tables: KnowledgeTables) -> None:
        self._t = tables
        self.renewals = 0

    async def renew(self, job_id: UUID, attempt: int, now: datetime, until: datetime) -> bool:
        job = self._t.jobs.get(job_id)
        held = job is not None and job.attempts == attempt and job.status is JobStatus.RUNNING
        if not held or job is None or job.locked_until is None or job.locked_until < now:
            return False
        renewed = replace(job, locked_until=until)
        self._t.jobs[job_id] = self._t.durable()["jobs"][job_id] = renewed  # committed on its own
        self.renewals += 1
        return True


class RecordingJobQueue:
    """Keeps what was enqueued; while ``down`` it fails like Redis that is not answering."""

    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.enqueued: builtins.list[UUID] = []
        self.trace_contexts: dict[UUID, str | None] = {}

    async def enqueue_ingestion(self, job_id: UUID, trace_context: str | None = None) -> None:
        if self.down:
            raise DependencyUnavailableError("The job queue is unavailable.", details={"dependency": "redis"})
        self.enqueued.append(job_id)
        self.trace_contexts[job_id] = trace_context


class FakeExtractor:
    """Reads sources as UTF-8 markdown; a source starting with ``BROKEN`` is unreadable, ``CRASH`` a reader bug."""

    def extract(self, content_type: ContentType, source: bytes) -> StructuredText:
        if source.startswith(b"BROKEN"):
            raise ExtractionError("The file is not UTF-8 text.")
        if source.startswith(b"CRASH"):
            raise RuntimeError("reader crashed")
        return StructuredText(tuple(markdown_blocks(source.decode())))


class FakeQueryEmbeddingCache:
    """A dict with the TTLs it was given."""

    def __init__(self) -> None:
        self.vectors: dict[str, list[float]] = {}
        self.ttls: dict[str, int] = {}

    async def get(self, key: str) -> list[float] | None:
        return self.vectors.get(key)

    async def put(self, key: str, vector: Sequence[float], ttl_seconds: int) -> None:
        self.vectors[key] = list(vector)
        self.ttls[key] = ttl_seconds


class RecordingIngestionMetrics:
    """What the pipeline reported: (stage, chunks) per stage passed, and the stages that failed."""

    def __init__(self) -> None:
        self.passed: builtins.list[tuple[str, int]] = []
        self.failed: builtins.list[str] = []

    def stage_passed(self, stage: str, chunks: int) -> None:
        self.passed.append((stage, chunks))

    def stage_failed(self, stage: str) -> None:
        self.failed.append(stage)


class InMemoryBlobStore:
    """Content-addressed bytes in a dict; ``fail_deletes`` makes ``delete`` raise (a store that is down)."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.puts = 0
        self.fail_deletes = False
        self.written_at = datetime(2026, 1, 1, tzinfo=UTC)

    async def put(self, chunks: AsyncIterable[bytes]) -> StoredBlob:
        data = b"".join([chunk async for chunk in chunks])
        self.puts += 1
        digest = hashlib.sha256(data).hexdigest()
        self.blobs[blob_key(digest)] = data
        return StoredBlob(blob_key(digest), digest, len(data))

    async def open(self, key: str) -> AsyncIterator[bytes]:
        yield await self.read(key)

    async def read(self, key: str) -> bytes:
        if key not in self.blobs:
            raise BlobMissingError(key)
        return self.blobs[key]

    async def exists(self, key: str) -> bool:
        return key in self.blobs

    async def listing(self) -> AsyncIterator[tuple[str, datetime]]:
        for key in list(self.blobs):
            yield key, self.written_at

    async def delete(self, key: str) -> None:
        if self.fail_deletes:
            raise OSError("the store is down")
        self.blobs.pop(key, None)


class InMemoryBlobReferences:
    """The source rows' blob keys; no locks are needed in one event loop with no awaits between check and use."""

    def __init__(self, tables: KnowledgeTables) -> None:
        self._t = tables

    async def hold(self, key: str) -> None:
        return None

    async def claim(self, key: str) -> bool:
        return all(source.blob_key != key for source in self._t.sources.values())

    async def mark_garbage(self, keys: Sequence[str]) -> None:
        self._t.garbage.update(dict.fromkeys(keys))

    async def garbage(self, limit: int) -> builtins.list[str]:
        return list(self._t.garbage)[:limit]

    async def keys_of_collection(self, collection_id: UUID, limit: int) -> builtins.list[str]:
        keys = (
            source.blob_key
            for document_id, source in self._t.sources.items()
            if source.blob_key is not None and self._t.documents[document_id].collection_id == collection_id
        )
        return list(dict.fromkeys(keys))[:limit]

    async def unreferenced(self, keys: Sequence[str]) -> builtins.list[str]:
        referenced = {source.blob_key for source in self._t.sources.values()}
        return [key for key in keys if key not in referenced]

    async def forget(self, key: str) -> None:
        self._t.garbage.pop(key, None)

    async def legacy_sources(self, limit: int) -> builtins.list[LegacySource]:
        found = [(i, s.data) for i, s in self._t.sources.items() if s.data is not None]
        return [LegacySource(i, data) for i, data in found[:limit]]

    async def move_to_blob(self, document_id: UUID, key: str) -> None:
        self._t.sources[document_id] = replace(self._t.sources[document_id], blob_key=key, data=None)

    async def blob_only_sources(self, limit: int) -> builtins.list[tuple[UUID, str]]:
        found = [(i, s.blob_key) for i, s in self._t.sources.items() if s.data is None and s.blob_key is not None]
        return [(i, key) for i, key in found[:limit] if key is not None]

    async def copy_back(self, document_id: UUID, data: bytes) -> None:
        self._t.sources[document_id] = replace(self._t.sources[document_id], data=data)
