"""dishka wiring of the knowledge module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from dishka import Provider, Scope, provide, provide_all
from redis.asyncio import Redis
from saq.queue.base import Queue
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.extraction.extractor import DocumentTextExtractor
from adapters.extraction.limits import ExtractionLimits
from adapters.metrics.knowledge import OtelIngestionMetrics
from adapters.persistence.knowledge.blob_references import SqlBlobReferences
from adapters.persistence.knowledge.chunks import SqlChunkRepository
from adapters.persistence.knowledge.collections import SqlCollectionRepository
from adapters.persistence.knowledge.documents import SqlDocumentRepository
from adapters.persistence.knowledge.ingestion_jobs import SqlIngestionJobRepository
from adapters.persistence.knowledge.ingestion_runs import SqlIngestionRuns
from adapters.persistence.knowledge.ingestion_writes import SqlIngestionWrites
from adapters.persistence.knowledge.leases import SqlIngestionLeases
from adapters.persistence.knowledge.memberships import SqlMembershipRepository
from adapters.persistence.knowledge.readable import SqlReadableCollections
from adapters.persistence.knowledge.search_index import PostgresSearchIndex
from adapters.persistence.knowledge.vector_sessions import VectorSessions, create_vector_engine, vector_sessions
from adapters.queue.ingestion_queue import SaqIngestionQueue
from adapters.redis.query_embeddings import RedisQueryEmbeddingCache
from adapters.storage.factory import S3Options, blob_store
from application.knowledge.batching import CoalescingEmbedder
from application.knowledge.collections import (
    CollectionGate,
    CreateCollection,
    DeleteCollection,
    FindCollection,
    GetCollection,
    ListCollections,
    ListMembers,
    ListMembersOfCollections,
    PutMember,
    RemoveMember,
    UpdateCollection,
)
from application.knowledge.documents import (
    AddDocument,
    DeleteDocument,
    DocumentGate,
    DownloadOriginal,
    GetDocument,
    IngestionScheduler,
    ListChunks,
    ListDocuments,
    ListDocumentsOfCollections,
    UpdateDocument,
)
from application.knowledge.embedding import GuardedEmbedder
from application.knowledge.ingest import IngestDocument
from application.knowledge.jobs import ListJobs, Reindex, RetryJob
from application.knowledge.outbox import RelayOutbox
from application.knowledge.policy import KnowledgePolicy
from application.knowledge.ports import (
    BlobReferences,
    BlobStore,
    ChunkRepository,
    CollectionRepository,
    DocumentRepository,
    Embedder,
    IngestionEmbedder,
    IngestionJobRepository,
    IngestionLeases,
    IngestionMetrics,
    IngestionRuns,
    IngestionWrites,
    JobQueue,
    MembershipRepository,
    ReadableCollections,
    SearchIndex,
    TextExtractor,
)
from application.knowledge.query_cache import CachedQueryEmbedder
from application.knowledge.reranking import Reranking
from application.knowledge.scope import CollectionScope
from application.knowledge.search import Search
from application.knowledge.start_batching import CoalescingStarts
from application.knowledge.storage import BlobCollector, MigrateOriginals, OriginalIntake
from application.knowledge.write_batching import CoalescingWrites
from application.shared.ports import Clock
from application.shared.resilience import CircuitBreaker
from entrypoints.bootstrap.settings import Settings

if TYPE_CHECKING:
    from adapters.llm.embeddings import OpenAICompatibleEmbedder
    from adapters.rerank.http import DisabledReranker, HttpReranker


class KnowledgeProvider(Provider):
    ingestion_metrics = provide(OtelIngestionMetrics, provides=IngestionMetrics, scope=Scope.APP)

    @provide(scope=Scope.APP)
    def policy(self, settings: Settings) -> KnowledgePolicy:
        return KnowledgePolicy(
            max_upload_bytes=settings.max_upload_bytes,
            chunk_max_tokens=settings.chunk_max_tokens,
            chunk_overlap_tokens=settings.chunk_overlap_tokens,
            lease_seconds=settings.ingest_lease_seconds,
        )

    @provide(scope=Scope.APP)
    async def embedder(self, settings: Settings, clock: Clock, redis: Redis) -> AsyncIterator[Embedder]:
        if not settings.embeddings_base_url:
            yield _disabled_embedder()
            return
        embedder = _openai_embedder(settings, settings.embeddings_timeout_seconds)
        # APP scope: like the chat providers' breakers, its state lives as long as the process; the cache sits
        # in front of the breaker, so a question asked before is still answered while the server is down
        yield CachedQueryEmbedder(
            GuardedEmbedder(embedder, CircuitBreaker(clock)),
            RedisQueryEmbeddingCache(redis),
            settings.query_embedding_cache_ttl_seconds,
        )
        await embedder.close()

    @provide(scope=Scope.APP)
    async def reranking(self, settings: Settings, clock: Clock) -> AsyncIterator[Reranking]:
        reranker = _reranker(settings)
        # APP scope: the breaker's state lives as long as the process, like the embedder's
        yield Reranking(reranker, CircuitBreaker(clock), settings.rerank_candidates)
        await reranker.close()

    @provide(scope=Scope.APP)
    async def ingestion_embedder(self, settings: Settings, policy: KnowledgePolicy) -> AsyncIterator[IngestionEmbedder]:
        if not settings.embeddings_base_url:
            yield _disabled_embedder()
            return
        embedder = _openai_embedder(settings, settings.embeddings_ingest_timeout_seconds)
        # APP scope: the worker's concurrent jobs share round trips (batches across documents)
        yield CoalescingEmbedder(embedder, policy.embed_batch_size)
        await embedder.close()

    @provide(scope=Scope.APP)
    def extractor(self, settings: Settings) -> TextExtractor:
        return DocumentTextExtractor(
            ExtractionLimits(
                max_pages=settings.extract_max_pages,
                max_text_chars=settings.extract_max_text_chars,
                max_unzipped_bytes=settings.extract_max_unzipped_bytes,
                max_zip_ratio=settings.extract_max_zip_ratio,
            )
        )

    @provide(scope=Scope.APP)
    def blobs(self, settings: Settings) -> BlobStore:
        s3 = S3Options(
            endpoint_url=settings.storage_s3_endpoint_url,
            region=settings.storage_s3_region,
            access_key_id=settings.storage_s3_access_key_id,
            secret_access_key=settings.storage_s3_secret_access_key,
        )
        return blob_store(settings.storage_location, s3, settings.spool_dir)

    blob_references = provide(SqlBlobReferences, provides=BlobReferences, scope=Scope.REQUEST)

    @provide(scope=Scope.APP)
    def ingestion_queue(self, queue: Queue) -> JobQueue:
        return SaqIngestionQueue(queue)

    collections = provide(SqlCollectionRepository, provides=CollectionRepository, scope=Scope.REQUEST)
    members = provide(SqlMembershipRepository, provides=MembershipRepository, scope=Scope.REQUEST)
    documents = provide(SqlDocumentRepository, provides=DocumentRepository, scope=Scope.REQUEST)
    chunks = provide(SqlChunkRepository, provides=ChunkRepository, scope=Scope.REQUEST)
    jobs = provide(SqlIngestionJobRepository, provides=IngestionJobRepository, scope=Scope.REQUEST)
    leases = provide(SqlIngestionLeases, provides=IngestionLeases, scope=Scope.APP)

    @provide(scope=Scope.APP)
    def ingestion_runs(self, sessions: async_sessionmaker[AsyncSession]) -> IngestionRuns:
        # APP scope: the worker's concurrent jobs are claimed in shared transactions
        return CoalescingStarts(SqlIngestionRuns(sessions))

    @provide(scope=Scope.APP)
    def ingestion_writes(self, sessions: async_sessionmaker[AsyncSession]) -> IngestionWrites:
        # APP scope: the worker's concurrent jobs write their outcomes in shared transactions
        return CoalescingWrites(SqlIngestionWrites(sessions))

    @provide(scope=Scope.APP)
    async def vector_sessions(self, settings: Settings) -> AsyncIterator[VectorSessions]:
        # connects lazily: a process that never searches opens none; half the request pool's size is plenty for
        # queries of a few milliseconds that hold their connection for one statement
        engine = create_vector_engine(
            settings.require_database_url,
            ef_search=settings.search_ef_search,
            pool_size=max(2, settings.database_pool_size // 2),
        )
        yield vector_sessions(engine)
        await engine.dispose()

    @provide(scope=Scope.REQUEST)
    def index(self, session: AsyncSession, vector: VectorSessions) -> SearchIndex:
        return PostgresSearchIndex(session, vector)

    readable = provide(SqlReadableCollections, provides=ReadableCollections, scope=Scope.REQUEST)

    use_cases = provide_all(
        CollectionGate,
        DocumentGate,
        IngestionScheduler,
        RelayOutbox,
        CreateCollection,
        ListCollections,
        GetCollection,
        UpdateCollection,
        DeleteCollection,
        FindCollection,
        ListMembers,
        ListMembersOfCollections,
        PutMember,
        RemoveMember,
        AddDocument,
        ListDocuments,
        ListDocumentsOfCollections,
        GetDocument,
        UpdateDocument,
        DeleteDocument,
        DownloadOriginal,
        BlobCollector,
        OriginalIntake,
        MigrateOriginals,
        ListChunks,
        IngestDocument,
        CollectionScope,
        Search,
        ListJobs,
        RetryJob,
        Reindex,
        scope=Scope.REQUEST,
    )


def _disabled_embedder() -> IngestionEmbedder:
    from adapters.llm.embeddings import DisabledEmbedder  # the module imports the OpenAI SDK: only when needed

    return DisabledEmbedder()


def _openai_embedder(settings: Settings, timeout_seconds: float) -> OpenAICompatibleEmbedder:
    # imported here so a CLI command that embeds nothing does not pay for the OpenAI SDK
    from adapters.llm.embeddings import OpenAICompatibleEmbedder

    assert settings.embeddings_base_url is not None
    return OpenAICompatibleEmbedder(
        base_url=settings.embeddings_base_url,
        model=settings.embeddings_model,
        api_key=settings.embeddings_api_key,
        dimensions=settings.embeddings_dimensions,
        timeout_seconds=timeout_seconds,
    )


def _reranker(settings: Settings) -> HttpReranker | DisabledReranker:
    from adapters.rerank.http import DisabledReranker, HttpReranker, RerankProtocol

    if not settings.rerank_url:
        return DisabledReranker()
    return HttpReranker(
        base_url=settings.rerank_url,
        protocol=RerankProtocol(settings.rerank_protocol),
        model=settings.rerank_model,
        api_key=settings.rerank_api_key,
        timeout_seconds=settings.rerank_timeout_seconds,
    )
