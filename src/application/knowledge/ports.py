"""Ports the knowledge use cases need."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from application.shared.ports import Page, PageRequest
from domain.knowledge.models import (
    Chunk,
    Collection,
    CollectionRole,
    ContentType,
    Document,
    DocumentStatus,
    Membership,
)
from domain.knowledge.structure import StructuredText
from domain.shared.events import DomainEvent


@dataclass(frozen=True, slots=True)
class CollectionView:
    collection: Collection
    role: CollectionRole | None  # the caller's role; None for an admin who is not a member
    document_count: int = 0


class CollectionRepository(Protocol):
    async def add(self, collection: Collection) -> None: ...

    async def get(self, collection_id: UUID) -> Collection | None: ...

    async def get_many(self, collection_ids: Sequence[UUID]) -> dict[UUID, Collection]:
        """Those of ``collection_ids`` that exist, by id, in one read."""
        ...

    async def save(self, collection: Collection) -> None: ...

    async def delete(self, collection_id: UUID) -> None: ...

    async def get_owned_by_name(self, owner_id: UUID, name: str) -> Collection | None:
        """The collection ``owner_id`` created under ``name``: names are unique per creator."""
        ...

    async def list_named(self, name: str) -> list[Collection]:
        """Every collection called ``name``, whoever created it (for operators)."""
        ...

    async def document_count(self, collection_id: UUID) -> int: ...

    async def list_visible(self, user_id: UUID, *, all_collections: bool, page: PageRequest) -> Page[CollectionView]:
        """Collections the user belongs to (every collection when ``all_collections``)."""
        ...


class ReadableCollections(Protocol):
    async def readable(
        self, user_id: UUID, collection_ids: frozenset[UUID], *, all_collections: bool
    ) -> frozenset[UUID]:
        """Those of ``collection_ids`` that exist and the user is a member of (every existing one when
        ``all_collections``)."""
        ...


class MembershipRepository(Protocol):
    async def role_of(self, collection_id: UUID, user_id: UUID) -> CollectionRole | None: ...

    async def put(self, membership: Membership) -> None: ...

    async def remove(self, collection_id: UUID, user_id: UUID) -> bool: ...

    async def list(self, collection_id: UUID) -> list[Membership]: ...

    async def roles_in(self, collection_ids: Sequence[UUID], user_id: UUID) -> dict[UUID, CollectionRole]:
        """The user's role in each of ``collection_ids`` they belong to, in one read."""
        ...

    async def list_many(self, collection_ids: Sequence[UUID]) -> dict[UUID, builtins.list[Membership]]:
        """``list`` of each collection (every id is a key), in one read."""
        ...

    async def count_owners(self, collection_id: UUID) -> int: ...


# the fields a list may be sorted by (``sort=field`` or ``sort=-field``): the API checks them, the repositories map them
DOCUMENT_SORTS = ("created_at", "updated_at", "title", "size_bytes", "status")
COLLECTION_SORTS = ("name", "created_at")


@dataclass(frozen=True, slots=True)
class DocumentQuery:
    collection_id: UUID
    page: PageRequest
    status: DocumentStatus | None = None
    q: str | None = None


@dataclass(frozen=True, slots=True)
class StoredSource:
    """Where a document's original is: a blob key, or (from before blob storage) bytes in the database."""

    blob_key: str | None
    filename: str | None = None
    data: bytes | None = None  # until `lore storage migrate-originals` moves it


class DocumentRepository(Protocol):
    async def add(self, document: Document, source: StoredSource) -> None: ...

    async def get(self, document_id: UUID) -> Document | None: ...

    async def source_of(self, document_id: UUID) -> StoredSource | None: ...

    async def find_by_hash(self, collection_id: UUID, content_hash: str) -> Document | None: ...

    async def find_by_idempotency_key(self, collection_id: UUID, created_by: UUID, key: str) -> Document | None: ...

    async def save(self, document: Document, source: StoredSource | None = None) -> None: ...

    async def delete(self, document_id: UUID) -> None: ...

    async def ids_in_collection(self, collection_id: UUID) -> list[UUID]: ...

    async def list(self, query: DocumentQuery) -> Page[Document]: ...

    async def list_many(self, queries: Sequence[DocumentQuery]) -> builtins.list[Page[Document]]:
        """``list`` of each query, in order; queries that differ only in their collection share their reads."""
        ...


@dataclass(frozen=True, slots=True)
class NewChunk:
    ordinal: int
    text: str
    start: int
    end: int
    token_count: int
    embedding: Sequence[float] | None = None
    heading_path: str = ""  # "Handbook > Travel > Hotels"; empty above the first heading
    page: int | None = None  # where the format has pages


class ChunkRepository(Protocol):
    async def replace(self, document: Document, chunks: Sequence[NewChunk], embedding_model: str | None) -> None:
        """Swap the document's chunks for these, in the caller's transaction."""
        ...

    async def list(self, document_id: UUID, page: PageRequest) -> Page[Chunk]: ...


class JobStatus(StrEnum):
    PENDING = "pending"  # committed, not yet on the queue
    ENQUEUED = "enqueued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class IngestionJob:
    id: UUID
    document_id: UUID
    status: JobStatus
    attempts: int
    available_at: datetime
    created_at: datetime
    updated_at: datetime
    locked_until: datetime | None = None
    last_error: str | None = None
    # W3C traceparent of the work that created the job (opaque here): every run of the job joins that trace
    trace_context: str | None = None


class IngestionJobRepository(Protocol):
    """The transactional outbox: a job row commits with its document, a relay moves it to the queue."""

    async def add(self, job: IngestionJob) -> None: ...

    async def get(self, job_id: UUID) -> IngestionJob | None: ...

    async def due(self, now: datetime, limit: int) -> list[IngestionJob]:
        """Pending jobs whose time has come, and running jobs whose lease ran out, locked for this tx."""
        ...

    async def mark_enqueued(self, job_ids: Sequence[UUID], now: datetime) -> None: ...

    async def claim(self, job_id: UUID, now: datetime, lease_until: datetime) -> IngestionJob | None:
        """Take the job for running unless it is done, failed or leased by another worker."""
        ...

    async def hold(self, job_id: UUID, attempt: int) -> bool:
        """Lock the job for this transaction if no run was claimed since run ``attempt`` and it is not over.

        A run whose lease ran out while it was still working may have been claimed again; only the
        newest run may write its outcome, or two runs would both add their chunks.
        """
        ...

    async def finish(self, job_id: UUID, now: datetime) -> None: ...

    async def reschedule(self, job_id: UUID, now: datetime, available_at: datetime, error: str) -> None: ...

    async def fail(self, job_id: UUID, now: datetime, error: str) -> None: ...

    async def list(self, status: JobStatus | None, limit: int) -> list[IngestionJob]: ...

    async def cancel_for_document(self, document_id: UUID, now: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class RunStart:
    """A claimed job with its document marked processing (None if the document is gone) and its source."""

    job: IngestionJob
    document: Document | None
    source: StoredSource | None


class IngestionRuns(Protocol):
    """The start of an ingestion run, committed on its own (not in the caller's transaction)."""

    async def start(self, job_id: UUID, now: datetime, lease_until: datetime) -> RunStart | None:
        """Claim the job (as ``IngestionJobRepository.claim``) and mark its document processing; None if not
        claimed."""
        ...


@dataclass(frozen=True, slots=True)
class StartedRuns:
    started: Mapping[UUID, RunStart]  # by job id: the jobs claimed
    busy: frozenset[UUID]  # locked by another transaction, so not tried (only when not waiting)


class IngestionRunStarts(Protocol):
    """Starts of several ingestion runs in one transaction of their own, one round trip whatever they span."""

    async def start(self, job_ids: Sequence[UUID], now: datetime, lease_until: datetime, *, wait: bool) -> StartedRuns:
        """``IngestionRuns.start`` for each job; ``wait``: for a job another transaction has locked, else it is
        returned busy."""
        ...


@dataclass(frozen=True, slots=True)
class FinishedRun:
    """A run's outcome to write: its chunks, for the document as it was when the run started."""

    job_id: UUID
    attempt: int
    document: Document
    chunks: Sequence[NewChunk]
    embedding_model: str | None
    events: Sequence[DomainEvent] = ()  # recorded with the write, only when it is WRITTEN (document.ready)


class RunOutcome(StrEnum):
    WRITTEN = "written"  # chunks swapped, document ready (errors cleared), job done
    SUPERSEDED = "superseded"  # the document changed or went meanwhile: the job is done, nothing else written
    NOT_HELD = "not_held"  # a newer run has the job (this one's lease ran out): nothing written


class IngestionWrites(Protocol):
    """Writes finished runs in a transaction of its own (not the caller's), all or nothing.

    Each run is held first (as ``IngestionJobRepository.hold``: only the newest run of a job writes) and its
    document's content hash compared with the one it processed. Raises if the transaction fails.
    """

    async def write(self, runs: Sequence[FinishedRun], now: datetime) -> list[RunOutcome]:
        """The outcome of each run, in order."""
        ...


class IngestionLeases(Protocol):
    """Renews the lease of a running ingestion job, each renewal committed on its own (beside the run's work)."""

    async def renew(self, job_id: UUID, attempt: int, now: datetime, until: datetime) -> bool:
        """Move run ``attempt``'s lease to ``until`` while it still holds it (not lapsed at ``now``, not claimed
        since); False otherwise."""
        ...


class JobQueue(Protocol):
    async def enqueue_ingestion(self, job_id: UUID, trace_context: str | None = None) -> None: ...


class QueryEmbeddingCache(Protocol):
    """Vectors of search queries and questions, shared by every API process. Fails open: an unreachable
    store is a miss (get) or a no-op (put), never an error."""

    async def get(self, key: str) -> list[float] | None: ...

    async def put(self, key: str, vector: Sequence[float], ttl_seconds: int) -> None: ...


class Embedder(Protocol):
    @property
    def enabled(self) -> bool:
        """False when no embeddings provider is configured: keyword search still works."""
        ...

    @property
    def model(self) -> str: ...

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order. Raises EmbeddingsUnavailableError when the server cannot answer."""
        ...


class Reranker(Protocol):
    """A cross-encoder that scores passages against a query (RERANK_URL)."""

    @property
    def enabled(self) -> bool:
        """False when no rerank server is configured."""
        ...

    async def rerank(self, query: str, passages: Sequence[str]) -> list[float]:
        """One relevance score per passage, in input order (higher = more relevant). Raises
        RerankerUnavailableError when the server cannot answer."""
        ...


class IngestionEmbedder(Embedder, Protocol):
    """The embedder the worker uses: its own client and timeout, outside the interactive breaker, so a
    slow batch neither fails for the search timeout nor opens the breaker that searches rely on."""


class IngestionMetrics(Protocol):
    """Where the ingestion pipeline reports each stage a document passed or failed (stage names: Stage)."""

    def stage_passed(self, stage: str, chunks: int) -> None: ...
    def stage_failed(self, stage: str) -> None: ...


class NoIngestionMetrics:
    def stage_passed(self, stage: str, chunks: int) -> None:
        return None

    def stage_failed(self, stage: str) -> None:
        return None


class TextExtractor(Protocol):
    def extract(self, content_type: ContentType, source: bytes) -> StructuredText:
        """The source's headings, paragraphs and tables; raises ExtractionError when the file cannot be read
        or is over a limit."""
        ...


@dataclass(frozen=True, slots=True)
class SearchFilters:
    document_ids: frozenset[UUID] | None = None
    content_types: frozenset[ContentType] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SearchScope:
    """Whose permissions bound the search; enforced inside each query."""

    user_id: UUID
    all_collections: bool
    collection_ids: frozenset[UUID] | None = None


@dataclass(frozen=True, slots=True)
class ChunkHit:
    chunk_id: UUID
    document_id: UUID
    collection_id: UUID
    title: str
    text: str
    start: int
    end: int
    score: float
    heading_path: str = ""
    page: int | None = None


class SearchIndex(Protocol):
    async def keyword(self, query: str, scope: SearchScope, filters: SearchFilters, limit: int) -> list[ChunkHit]: ...

    async def vector(
        self, embedding: Sequence[float], model: str, scope: SearchScope, filters: SearchFilters, limit: int
    ) -> list[ChunkHit]: ...


# originals in a blob store (application/knowledge/storage.py has the rules around them)
KEY_PREFIX = "sha256/"


def blob_key(sha256_hex: str) -> str:
    return f"{KEY_PREFIX}{sha256_hex}"


@dataclass(frozen=True, slots=True)
class StoredBlob:
    key: str  # sha256/<hex>
    sha256: str
    size: int


class BlobMissingError(Exception):
    """No blob under this key (a deleted original, or a store emptied by hand)."""


class BlobStore(Protocol):
    """Content-addressed bytes; the same bytes put twice are stored once under one key."""

    async def put(self, chunks: AsyncIterable[bytes]) -> StoredBlob:
        """Store the bytes under ``sha256/<hex>``; an exception from ``chunks`` stores nothing and propagates."""
        ...

    def open(self, key: str) -> AsyncIterator[bytes]:
        """The bytes in chunks; raises BlobMissingError (on the first iteration) if there is no such blob."""
        ...

    async def read(self, key: str) -> bytes:
        """All the bytes at once (the extractor needs them whole); raises BlobMissingError."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Remove the blob; a missing one is no error."""
        ...

    def listing(self) -> AsyncIterator[tuple[str, datetime]]:
        """Every key with the time it was written, in no particular order (for the orphan sweep)."""
        ...


@dataclass(frozen=True, slots=True)
class LegacySource:
    """An original still held in the database, from before blob storage."""

    document_id: UUID
    data: bytes


class BlobReferences(Protocol):
    """Which keys document rows reference, with locks that order an upload against a deletion of the same key."""

    async def hold(self, key: str) -> None:
        """A shared lock on the key until the caller's transaction ends: no deletion of it runs meanwhile."""
        ...

    async def claim(self, key: str) -> bool:
        """An exclusive lock on the key until the transaction ends; True if no document references it."""
        ...

    async def mark_garbage(self, keys: Sequence[str]) -> None:
        """Note keys that may have lost their last reference (deleted documents do so in the database)."""
        ...

    async def garbage(self, limit: int) -> list[str]: ...

    async def keys_of_collection(self, collection_id: UUID, limit: int) -> list[str]:
        """Up to ``limit`` distinct blob keys the collection's documents reference."""
        ...

    async def unreferenced(self, keys: Sequence[str]) -> list[str]:
        """The keys among these that no document references."""
        ...

    async def forget(self, key: str) -> None:
        """The key is dealt with: its garbage note goes."""
        ...

    async def legacy_sources(self, limit: int) -> list[LegacySource]:
        """Originals still in the database, locked (skipping rows other movers hold) until the transaction ends."""
        ...

    async def move_to_blob(self, document_id: UUID, key: str) -> None:
        """The document's original is now ``key`` in the blob store; its database copy is cleared."""
        ...

    async def blob_only_sources(self, limit: int) -> list[tuple[UUID, str]]:
        """Documents whose original is only in the blob store (document id, key), locked like legacy_sources."""
        ...

    async def copy_back(self, document_id: UUID, data: bytes) -> None:
        """The original is in the database again (for a downgrade); the blob key stays."""
        ...
