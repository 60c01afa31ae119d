"""Wires the document and ingestion use cases onto the in-memory knowledge fakes, as the container
wires them onto the Postgres and Redis adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID, uuid4

from application.knowledge.collections import CollectionGate
from application.knowledge.documents import AddDocument, DocumentGate, IngestionScheduler, NewDocument
from application.knowledge.ingest import IngestDocument
from application.knowledge.outbox import RelayOutbox
from application.knowledge.policy import KnowledgePolicy
from application.knowledge.storage import BlobCollector, OriginalIntake
from domain.identity.principal import Principal
from domain.identity.roles import Role
from domain.knowledge.models import Collection, CollectionRole, ContentType, Document, Membership
from tests.support.event_fakes import RecordingSubscriber, emitter_on
from tests.support.identity_fakes import MovableClock, SequentialIds
from tests.support.knowledge_fakes import (
    FakeEmbedder,
    FakeExtractor,
    InMemoryBlobReferences,
    InMemoryBlobStore,
    InMemoryChunks,
    InMemoryCollections,
    InMemoryDocuments,
    InMemoryIngestionJobs,
    InMemoryIngestionLeases,
    InMemoryIngestionRuns,
    InMemoryIngestionWrites,
    InMemoryMemberships,
    KnowledgeTables,
    RecordingIngestionMetrics,
    RecordingJobQueue,
)

POLICY = KnowledgePolicy(chunk_max_tokens=8, chunk_overlap_tokens=2, embed_batch_size=2, max_attempts=3)


@dataclass
class KnowledgeWorld:
    tables: KnowledgeTables = field(default_factory=KnowledgeTables)
    queue: RecordingJobQueue = field(default_factory=RecordingJobQueue)
    embedder: FakeEmbedder = field(default_factory=FakeEmbedder)
    clock: MovableClock = field(default_factory=MovableClock)
    ids: SequentialIds = field(default_factory=SequentialIds)
    policy: KnowledgePolicy = POLICY
    metrics: RecordingIngestionMetrics = field(default_factory=RecordingIngestionMetrics)
    subscriber: RecordingSubscriber = field(default_factory=RecordingSubscriber)
    blobs: InMemoryBlobStore = field(default_factory=InMemoryBlobStore)

    def __post_init__(self) -> None:
        self.collections = InMemoryCollections(self.tables)
        self.members = InMemoryMemberships(self.tables)
        self.documents = InMemoryDocuments(self.tables)
        self.chunks = InMemoryChunks(self.tables)
        self.jobs = InMemoryIngestionJobs(self.tables)
        self.leases = InMemoryIngestionLeases(self.tables)
        self.writes = InMemoryIngestionWrites(self.tables)
        self.gate = CollectionGate(self.collections, self.members)
        self.document_gate = DocumentGate(self.documents, self.gate)
        self.events, self.event_relay = emitter_on(self.tables, self.ids, self.clock, self.subscriber)
        self.relay = RelayOutbox(self.jobs, self.queue, self.tables, self.clock, self.policy)
        self.scheduler = IngestionScheduler(self.jobs, self.ids, self.clock)
        self.references = InMemoryBlobReferences(self.tables)
        self.collector = BlobCollector(self.references, self.blobs, self.tables)
        self.intake = OriginalIntake(self.blobs, self.references, self.collector, self.tables)
        self.add_document = AddDocument(
            self.gate,
            self.documents,
            self.scheduler,
            self.relay,
            self.tables,
            self.ids,
            self.clock,
            self.policy,
            self.intake,
        )
        self.ingest = IngestDocument(
            InMemoryIngestionRuns(self.tables),
            self.writes,
            self.jobs,
            self.documents,
            FakeExtractor(),
            self.embedder,
            self.tables,
            self.clock,
            self.policy,
            self.leases,
            self.metrics,
            self.events,
            self.blobs,
        )

    def collection(self, *members: tuple[Principal, CollectionRole]) -> UUID:
        """A committed collection with these members."""
        now = self.clock.now()
        collection = Collection(uuid4(), f"Collection {len(self.tables.collections)}", "", uuid4(), now, now)
        self.tables.collections[collection.id] = collection
        for principal, role in members:
            self.tables.members[(collection.id, principal.user_id)] = Membership(
                collection.id, principal.user_id, role, now
            )
        self.tables.checkpoint()
        return collection.id

    async def add_text(self, principal: Principal, collection_id: UUID, text: str, title: str = "Handbook") -> Document:
        new = NewDocument(title=title, content_type=ContentType.TEXT, source=text.encode())
        added = await self.add_document.execute(principal, collection_id, new)
        return added.document

    def later(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))


def member(role: Role = Role.MEMBER) -> Principal:
    return Principal(uuid4(), role)
