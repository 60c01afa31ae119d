"""Adding, reading, changing and removing documents; every content change is ingested in the worker."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from application.identity.audit import Auditor
from application.knowledge.collections import CollectionGate
from application.knowledge.events import emit_document
from application.knowledge.outbox import RelayOutbox
from application.knowledge.policy import KnowledgePolicy
from application.knowledge.ports import (
    BlobMissingError,
    BlobStore,
    ChunkRepository,
    DocumentQuery,
    DocumentRepository,
    IngestionJob,
    IngestionJobRepository,
    JobStatus,
    StoredSource,
)
from application.knowledge.storage import BlobCollector, Intake, OriginalIntake
from application.shared.event_stream import EventEmitter
from application.shared.ports import Clock, IdGenerator, Page, PageRequest, UnitOfWork
from domain.identity.models import AuditAction
from domain.identity.principal import Principal
from domain.knowledge.access import CollectionAccess
from domain.knowledge.errors import DuplicateDocumentError, IdempotencyKeyReusedError
from domain.knowledge.formats import TEXTUAL, detect_format
from domain.knowledge.models import MAX_TITLE_LENGTH, Chunk, ContentType, Document, DocumentStatus, clean_name
from domain.shared.errors import (
    DomainError,
    NotFoundError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from domain.shared.events import EventType


@dataclass(frozen=True, slots=True)
class NewDocument:
    title: str
    content_type: ContentType
    source: bytes | AsyncIterable[bytes]  # a stream is stored as it is read, never held whole
    metadata: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None
    filename: str | None = None  # the uploaded file's name, for downloads


@dataclass(frozen=True, slots=True)
class AddedDocument:
    document: Document
    created: bool


def content_hash(source: bytes) -> str:
    return hashlib.sha256(source).hexdigest()


def _checked_metadata(metadata: dict[str, Any], policy: KnowledgePolicy) -> dict[str, Any]:
    encoded = json.dumps(metadata, sort_keys=True, default=str)
    if len(encoded.encode()) > policy.max_metadata_bytes:
        raise ValidationError(
            f"Metadata is limited to {policy.max_metadata_bytes} bytes of JSON.", details={"field": "metadata"}
        )
    loaded: dict[str, Any] = json.loads(encoded)
    return loaded


class DocumentGate:
    """Loads a document with the caller's standing in its collection; invisible documents are 404."""

    def __init__(self, documents: DocumentRepository, gate: CollectionGate) -> None:
        self._documents = documents
        self._gate = gate

    async def open(self, principal: Principal, document_id: UUID) -> tuple[Document, CollectionAccess]:
        document = await self._documents.get(document_id)
        if document is None:
            raise NotFoundError("No such document.")
        try:
            _, access = await self._gate.open(principal, document.collection_id)
        except NotFoundError:
            raise NotFoundError("No such document.") from None
        return document, access


class IngestionScheduler:
    """Writes the outbox row in the caller's transaction; the relay moves it to the queue after commit."""

    def __init__(self, jobs: IngestionJobRepository, ids: IdGenerator, clock: Clock) -> None:
        self._jobs = jobs
        self._ids = ids
        self._clock = clock

    async def schedule(self, document_id: UUID) -> IngestionJob:
        now = self._clock.now()
        await self._jobs.cancel_for_document(document_id, now)  # a newer version supersedes older jobs
        job = IngestionJob(
            id=self._ids.new_id(),
            document_id=document_id,
            status=JobStatus.PENDING,
            attempts=0,
            available_at=now,
            created_at=now,
            updated_at=now,
        )
        await self._jobs.add(job)
        return job


class AddDocument:
    """Stores a document in a collection and queues its ingestion (extract, chunk, embed) in the same transaction.

    An editor or owner of the collection (or an admin) with ``documents:write``; raises CollectionNotFoundError
    (404, not visible), PermissionDeniedError (403), ValidationError (empty content), PayloadTooLargeError
    (413), DuplicateDocumentError (409, the same content is already there), IdempotencyKeyReusedError (409,
    the key was used for another request) and DependencyUnavailableError (503: the blob store is down, or the
    upload raced a deletion of the same bytes). The original is streamed into the blob store first; a request
    that fails afterwards discards it unless another document references the same bytes.
    """

    def __init__(
        self,
        gate: CollectionGate,
        documents: DocumentRepository,
        scheduler: IngestionScheduler,
        relay: RelayOutbox,
        uow: UnitOfWork,
        ids: IdGenerator,
        clock: Clock,
        policy: KnowledgePolicy,
        intake: OriginalIntake,
    ) -> None:
        self._gate = gate
        self._documents = documents
        self._scheduler = scheduler
        self._relay = relay
        self._uow = uow
        self._ids = ids
        self._clock = clock
        self._policy = policy
        self._intake = intake

    async def execute(self, principal: Principal, collection_id: UUID, new: NewDocument) -> AddedDocument:
        _, access = await self._gate.open(principal, collection_id)
        access.require_write()
        title = clean_name(new.title, field_name="title", limit=MAX_TITLE_LENGTH)
        if isinstance(new.source, bytes) and not new.source:
            raise ValidationError("The document is empty.", details={"field": "content"})
        metadata = _checked_metadata(new.metadata, self._policy)
        # stored first (hashed while streamed): the checks below need the hash, and a failure discards the blob
        intake = await self._intake.store(new.source, self._policy.max_upload_bytes)
        try:
            added = await self._add(principal, collection_id, new, title, metadata, intake)
        except BaseException:
            await self._intake.discard(intake.blob.key)
            raise
        await self._relay.try_now()
        return added

    async def _add(
        self,
        principal: Principal,
        collection_id: UUID,
        new: NewDocument,
        title: str,
        metadata: dict[str, Any],
        intake: Intake,
    ) -> AddedDocument:
        digest, key = intake.blob.sha256, intake.blob.key
        if not intake.blob.size:
            raise ValidationError("The document is empty.", details={"field": "content"})
        content_type = detect_format(intake.head, new.content_type)
        if new.idempotency_key:
            earlier = await self._documents.find_by_idempotency_key(
                collection_id, principal.user_id, new.idempotency_key
            )
            if earlier is not None:
                same = earlier.content_hash == digest and earlier.title == title and earlier.metadata == metadata
                if not same:
                    raise IdempotencyKeyReusedError()
                return AddedDocument(earlier, created=False)
        duplicate = await self._documents.find_by_hash(collection_id, digest)
        if duplicate is not None:
            raise DuplicateDocumentError(details={"document_id": str(duplicate.id)})
        now = self._clock.now()
        document = Document(
            id=self._ids.new_id(),
            collection_id=collection_id,
            title=title,
            content_type=content_type,
            content_hash=digest,
            size_bytes=intake.blob.size,
            status=DocumentStatus.PENDING,
            created_by=principal.user_id,
            created_at=now,
            updated_at=now,
            metadata=metadata,
            idempotency_key=new.idempotency_key,
        )
        await self._intake.bind(key)
        await self._documents.add(document, StoredSource(key, new.filename))
        await self._scheduler.schedule(document.id)
        await self._uow.commit()
        return AddedDocument(document, created=True)


class ListDocuments:
    """One page of a collection's documents, filtered by status and a title match.

    Any member (or an admin) with ``documents:read``; raises PermissionDeniedError, and CollectionNotFoundError
    (404) for a collection not visible.
    """

    def __init__(self, gate: CollectionGate, documents: DocumentRepository) -> None:
        self._gate = gate
        self._documents = documents

    async def execute(self, principal: Principal, query: DocumentQuery) -> Page[Document]:
        await self._gate.open(principal, query.collection_id)
        return await self._documents.list(query)


class ListDocumentsOfCollections:
    """``ListDocuments`` of many collections at once (a GraphQL list of collections with their documents).

    The same gate per collection; each query gets its page or the error ``ListDocuments`` would raise.
    """

    def __init__(self, gate: CollectionGate, documents: DocumentRepository) -> None:
        self._gate = gate
        self._documents = documents

    async def execute(
        self, principal: Principal, queries: Sequence[DocumentQuery]
    ) -> list[Page[Document] | DomainError]:
        opened = await self._gate.open_many(principal, list(dict.fromkeys(q.collection_id for q in queries)))
        readable = [q for q in queries if not isinstance(opened[q.collection_id], DomainError)]
        pages = iter(await self._documents.list_many(readable) if readable else [])
        results: list[Page[Document] | DomainError] = []
        for query in queries:
            gate = opened[query.collection_id]
            results.append(gate if isinstance(gate, DomainError) else next(pages))
        return results


class GetDocument:
    """One document the caller can read.

    A principal with ``documents:read`` who can read its collection; raises PermissionDeniedError, and
    NotFoundError for a document missing or not visible.
    """

    def __init__(self, gate: DocumentGate) -> None:
        self._gate = gate

    async def execute(self, principal: Principal, document_id: UUID) -> Document:
        document, _ = await self._gate.open(principal, document_id)
        return document


@dataclass(frozen=True, slots=True)
class DocumentChanges:
    title: str | None = None
    metadata: dict[str, Any] | None = None
    content: bytes | None = None
    content_type: ContentType | None = None


class UpdateDocument:
    """Changes a document's title or metadata, or replaces its content (which queues a new ingestion).

    An editor or owner of its collection (or an admin) with ``documents:write``; raises NotFoundError (not
    visible), PermissionDeniedError (403), ValidationError, UnsupportedMediaTypeError (415, a PDF swapped for
    text or back without new content) and DuplicateDocumentError (409).
    """

    def __init__(
        self,
        gate: DocumentGate,
        documents: DocumentRepository,
        scheduler: IngestionScheduler,
        relay: RelayOutbox,
        uow: UnitOfWork,
        clock: Clock,
        policy: KnowledgePolicy,
        intake: OriginalIntake,
        collector: BlobCollector,
    ) -> None:
        self._gate = gate
        self._documents = documents
        self._scheduler = scheduler
        self._relay = relay
        self._uow = uow
        self._clock = clock
        self._policy = policy
        self._intake = intake
        self._collector = collector

    async def execute(self, principal: Principal, document_id: UUID, changes: DocumentChanges) -> Document:
        document, access = await self._gate.open(principal, document_id)
        access.require_write()
        updates: dict[str, Any] = {}
        if changes.title is not None:
            updates["title"] = clean_name(changes.title, field_name="title", limit=MAX_TITLE_LENGTH)
        if changes.metadata is not None:
            updates["metadata"] = _checked_metadata(changes.metadata, self._policy)
        if changes.content_type is not None and changes.content is None:
            textual = {changes.content_type, document.content_type} <= TEXTUAL
            if changes.content_type is not document.content_type and not textual:
                raise UnsupportedMediaTypeError("Send new content to turn a document into or out of a binary format.")
            updates["content_type"] = changes.content_type
        reingest = False
        if changes.content is not None:
            if not changes.content:
                raise ValidationError("The document is empty.", details={"field": "content"})
            detected = detect_format(changes.content, changes.content_type or document.content_type)
            if detected is not document.content_type:
                updates["content_type"] = detected
            digest = content_hash(changes.content)
            if digest != document.content_hash:
                duplicate = await self._documents.find_by_hash(document.collection_id, digest)
                if duplicate is not None and duplicate.id != document.id:
                    raise DuplicateDocumentError(details={"document_id": str(duplicate.id)})
                updates |= {
                    "content_hash": digest,
                    "size_bytes": len(changes.content),
                    "status": DocumentStatus.PENDING,
                    "error_stage": None,
                    "error_message": None,
                }
                reingest = True
        if not updates:
            return document
        document = document.with_changes(**updates, updated_at=self._clock.now())
        if not reingest or changes.content is None:
            await self._documents.save(document)
            await self._uow.commit()
            return document
        await self._replace_content(document, changes.content)
        return document

    async def _replace_content(self, document: Document, content: bytes) -> None:
        earlier = await self._documents.source_of(document.id)
        intake = await self._intake.store(content, self._policy.max_upload_bytes)
        try:
            await self._intake.bind(intake.blob.key)
            await self._documents.save(document, StoredSource(intake.blob.key, earlier.filename if earlier else None))
            await self._scheduler.schedule(document.id)
            await self._uow.commit()
        except BaseException:
            await self._intake.discard(intake.blob.key)
            raise
        await self._relay.try_now()
        if earlier is not None and earlier.blob_key is not None:  # the database noted it as garbage on save
            await self._collector.collect_quietly([earlier.blob_key])


class DeleteDocument:
    """Deletes a document with its chunks.

    An editor or owner of its collection (or an admin) with ``documents:write``; raises NotFoundError (not
    visible) and PermissionDeniedError (403).
    """

    def __init__(
        self,
        gate: DocumentGate,
        documents: DocumentRepository,
        auditor: Auditor,
        uow: UnitOfWork,
        events: EventEmitter,
        collector: BlobCollector,
    ) -> None:
        self._gate = gate
        self._documents = documents
        self._auditor = auditor
        self._uow = uow
        self._events = events
        self._collector = collector

    async def execute(self, principal: Principal, document_id: UUID) -> None:
        document, access = await self._gate.open(principal, document_id)
        access.require_write()
        source = await self._documents.source_of(document_id)
        await self._documents.delete(document_id)  # chunks, jobs and source cascade; the database notes the blob
        await emit_document(self._events, EventType.DOCUMENT_DELETED, document)
        await self._auditor.record(
            AuditAction.DOCUMENT_DELETED,
            actor=principal,
            target=("document", document_id),
            collection_id=str(document.collection_id),
            title=document.title,
        )
        await self._uow.commit()
        await self._events.hand_on()
        if source is not None and source.blob_key is not None:  # after commit; kept if another document shares it
            await self._collector.collect_quietly([source.blob_key])


class ListChunks:
    """One page of a document's chunks, in order.

    A principal with ``documents:read`` who can read the document; raises PermissionDeniedError, and
    NotFoundError for a document missing or not visible.
    """

    def __init__(self, gate: DocumentGate, chunks: ChunkRepository) -> None:
        self._gate = gate
        self._chunks = chunks

    async def execute(self, principal: Principal, document_id: UUID, page: PageRequest) -> Page[Chunk]:
        await self._gate.open(principal, document_id)
        return await self._chunks.list(document_id, page)


@dataclass(frozen=True, slots=True)
class Original:
    document: Document
    filename: str  # not yet sanitised for a header
    chunks: AsyncIterator[bytes] | None  # None: the caller's cached copy is current, and nothing was opened


class DownloadOriginal:
    """The uploaded file of a document the caller can read, as a stream of its bytes.

    A principal with ``documents:read`` who can read its collection; raises PermissionDeniedError, and
    NotFoundError for a document missing or not visible, or whose original is missing from the store.
    """

    def __init__(self, gate: DocumentGate, documents: DocumentRepository, blobs: BlobStore) -> None:
        self._gate = gate
        self._documents = documents
        self._blobs = blobs

    async def execute(
        self, principal: Principal, document_id: UUID, *, cached_hashes: AbstractSet[str] = frozenset()
    ) -> Original:
        """``cached_hashes``: content hashes the caller holds copies of (If-None-Match); a match opens no blob."""
        document, _ = await self._gate.open(principal, document_id)
        source = await self._documents.source_of(document_id)
        if source is None or (source.blob_key is None and source.data is None):
            raise NotFoundError("The document's original is not stored.")
        filename = source.filename or document.title
        if document.content_hash in cached_hashes:
            return Original(document, filename, None)
        if source.blob_key is None:
            return Original(document, filename, _one(source.data or b""))
        chunks = self._blobs.open(source.blob_key)
        try:  # the first chunk now: a missing blob is a 404, not a broken stream
            first = await anext(chunks)
        except StopAsyncIteration:
            return Original(document, filename, _one(b""))
        except BlobMissingError:
            raise NotFoundError("The document's original is missing from storage.") from None
        return Original(document, filename, _then(first, chunks))


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _then(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk
