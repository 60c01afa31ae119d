"""Search latency at 100k chunks and ingestion throughput, on embedded Postgres + Redis.

Run with `uv run just bench`. Writes a section of BENCHMARKS.md. Not part of the test gate.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import platform
import random
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.engine import create_engine, create_session_factory
from adapters.persistence.knowledge.readable import SqlReadableCollections
from adapters.persistence.knowledge.search_index import PostgresSearchIndex
from adapters.persistence.knowledge.vector_sessions import VectorSessions, create_vector_engine, vector_sessions
from application.identity.accounts import NewAccount
from application.identity.users import CreateUser
from application.knowledge.collections import CreateCollection
from application.knowledge.documents import AddDocument, NewDocument
from application.knowledge.ingest import IngestDocument
from application.knowledge.ports import IngestionJobRepository, SearchFilters, SearchScope
from application.knowledge.scope import CollectionScope
from application.knowledge.search import Search, SearchRequest
from benchmarks.embedder import embedder_process, raw_throughput
from benchmarks.stores import BenchStores, bench_stores
from domain.identity.principal import Principal
from domain.identity.roles import Role
from domain.knowledge.models import ContentType, SearchMode
from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.settings import Settings
from tests.support.openai_double import DIMENSIONS, EmbeddingsDouble
from tests.support.rerank_fakes import no_reranking
from tests.support.servers import serve

WORDS = [f"{a}{b}" for a in ("al", "be", "co", "da", "el", "fo", "ga", "hi", "io", "ju") for b in range(500)]


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


CLUSTERS = 200
SPREAD = 0.05  # per-component noise around a cluster centre: neighbours at cosine ~0.6, like sentence embeddings
EF_SEARCH = (40, 100, 200)


class ClusteredVectors:
    """Unit vectors drawn around random centres (clustered Gaussian): dense, no exact ties, like real embeddings.

    (The wire double's hashed bag of words gives vectors with a handful of non-zero components, on which
    an HNSW index behaves nothing like on a real corpus.)
    """

    def __init__(self, seed: int, clusters: int = CLUSTERS, dimensions: int = DIMENSIONS) -> None:
        rng = random.Random(seed)
        self._centres = [_unit([rng.gauss(0, 1) for _ in range(dimensions)]) for _ in range(clusters)]

    def sample(self, rng: random.Random) -> list[float]:
        centre = rng.choice(self._centres)
        return _unit([x + rng.gauss(0, SPREAD) for x in centre])

    def for_text(self, text: str) -> list[float]:
        """A query near one of the clusters, the same vector for the same text."""
        return self.sample(random.Random(hashlib.blake2b(text.encode(), digest_size=8).digest()))


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


class LocalEmbedder:
    """Query vectors computed in-process, so search timings measure the database."""

    enabled = True
    model = "bench-embed"

    def __init__(self, vectors: ClusteredVectors) -> None:
        self._vectors = vectors

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._vectors.for_text(t) for t in texts]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


async def load_chunks(
    url: str, collection_id: uuid.UUID, chunks: int, per_document: int, vectors: ClusteredVectors, seed: int
) -> float:
    rng = random.Random(seed)
    connection = await asyncpg.connect(url)
    started = time.perf_counter()
    try:
        await connection.execute("SET maintenance_work_mem = '512MB'")
        await connection.execute(f"DROP INDEX IF EXISTS ix_document_chunks_hnsw_{DIMENSIONS}")
        now = datetime.now(UTC)
        for first in range(0, chunks, per_document * 20):
            doc_ids, chunk_rows = [], []
            for d in range(first, min(first + per_document * 20, chunks), per_document):
                document_id = uuid.uuid4()
                doc_ids.append(document_id)
                for ordinal in range(per_document):
                    body = " ".join(sentence(rng, 12) for _ in range(4))
                    vector = "[" + ",".join(f"{x:.5f}" for x in vectors.sample(rng)) + "]"
                    chunk_rows.append((uuid.uuid4(), document_id, ordinal, body, vector, d))
            await connection.executemany(
                "INSERT INTO documents (id, collection_id, title, content_type, content_hash, size_bytes, status,"
                " metadata, chunk_count, created_at, updated_at) VALUES ($1, $2, $3, 'text/plain', $4, 1000,"
                " 'ready', '{}', $5, $6, $6)",
                [(i, collection_id, f"Doc {i}", uuid.uuid4().hex * 2, per_document, now) for i in doc_ids],
            )
            await connection.execute(
                "INSERT INTO document_chunks (id, document_id, collection_id, ordinal, text, start_offset, end_offset,"
                " token_count, embedding, embedding_dims, embedding_model)"
                " SELECT id, doc, $1, ord, body, 0, length(body), 60, vec::vector, $2, 'bench-embed'"
                " FROM unnest($3::uuid[], $4::uuid[], $5::int[], $6::text[], $7::text[]) AS t(id, doc, ord, body, vec)",
                collection_id,
                DIMENSIONS,
                [r[0] for r in chunk_rows],
                [r[1] for r in chunk_rows],
                [r[2] for r in chunk_rows],
                [r[3] for r in chunk_rows],
                [r[4] for r in chunk_rows],
            )
        load_seconds = time.perf_counter() - started
        built = time.perf_counter()
        await connection.execute(
            f"CREATE INDEX ix_document_chunks_hnsw_{DIMENSIONS} ON document_chunks USING hnsw"
            f" ((embedding::vector({DIMENSIONS})) vector_cosine_ops) WHERE embedding_dims = {DIMENSIONS}"
        )
        await connection.execute("ANALYZE document_chunks")
        print(f"loaded {chunks} chunks in {load_seconds:.1f} s, HNSW built in {time.perf_counter() - built:.1f} s")
        return load_seconds
    finally:
        await connection.close()


def _search(session: AsyncSession, vector: VectorSessions, vectors: ClusteredVectors) -> Search:
    index = PostgresSearchIndex(session, vector)
    return Search(index, LocalEmbedder(vectors), CollectionScope(SqlReadableCollections(session)), no_reranking())


async def bench_search(
    settings: Settings, principal: Principal, vectors: ClusteredVectors, queries: int, ef_search: int, seed: int
) -> dict[str, tuple[float, float]]:
    engine = create_engine(settings.require_database_url, pool_size=2)
    sessions = create_session_factory(engine)
    vector_engine = create_vector_engine(settings.require_database_url, ef_search=ef_search, pool_size=2)
    vector = vector_sessions(vector_engine)
    rng = random.Random(seed)
    results: dict[str, tuple[float, float]] = {}
    try:
        for mode in (SearchMode.KEYWORD, SearchMode.VECTOR, SearchMode.HYBRID):
            timings = []
            for n in range(queries + 10):
                query = " ".join(rng.choice(WORDS) for _ in range(3))
                async with sessions() as session:
                    search = _search(session, vector, vectors)
                    started = time.perf_counter()
                    result = await search.execute(principal, SearchRequest(query=query, mode=mode, limit=10))
                    elapsed = (time.perf_counter() - started) * 1000
                if n >= 10:  # warm-up excluded
                    timings.append(elapsed)
                assert mode is not SearchMode.VECTOR or len(result.hits) == 10
            results[mode.value] = (statistics.median(timings), percentile(timings, 0.95))
            print(
                f"ef_search={ef_search} {mode.value:>7}: P50 {results[mode.value][0]:.1f} ms,"
                f" P95 {results[mode.value][1]:.1f} ms"
            )
    finally:
        await engine.dispose()
        await vector_engine.dispose()
    return results


async def bench_recall(
    settings: Settings, principal: Principal, vectors: ClusteredVectors, queries: int, ef_search: int, seed: int
) -> float:
    """Recall@10 of the vector leg (the HNSW index) against the same SQL answered exactly (no index)."""
    engine = create_engine(settings.require_database_url, pool_size=2)
    sessions = create_session_factory(engine)
    url = settings.require_database_url
    hnsw = create_vector_engine(url, ef_search=ef_search, pool_size=2)
    exact = create_vector_engine(url, ef_search=ef_search, pool_size=2, server_settings={"enable_indexscan": "off"})
    rng = random.Random(seed)
    scope = SearchScope(user_id=principal.user_id, all_collections=False)
    found = 0
    try:
        for _ in range(queries):
            embedding = vectors.for_text(" ".join(rng.choice(WORDS) for _ in range(3)))
            answers = []
            for vector_engine in (hnsw, exact):
                async with sessions() as session:
                    index = PostgresSearchIndex(session, vector_sessions(vector_engine))
                    answers.append(await index.vector(embedding, "bench-embed", scope, SearchFilters(), 10))
            found += len({h.chunk_id for h in answers[0]} & {h.chunk_id for h in answers[1]})
    finally:
        await engine.dispose()
        await hnsw.dispose()
        await exact.dispose()
    recall = found / (queries * 10)
    print(f"ef_search={ef_search}: recall@10 {recall:.3f}")
    return recall


async def bench_ingest(
    settings: Settings, owner: Principal, collection_id: uuid.UUID, documents: int, seed: int
) -> tuple[int, float]:
    rng = random.Random(seed)
    container = build_container(settings)
    chunks = 0
    try:
        job_ids = []
        for n in range(documents):
            text = "\n\n".join(sentence(rng, 15) for _ in range(120))
            async with container() as scope:
                await (await scope.get(AddDocument)).execute(
                    owner, collection_id, NewDocument(f"Ingest {n}", ContentType.TEXT, text.encode())
                )
        async with container() as scope:
            jobs: IngestionJobRepository = await scope.get(IngestionJobRepository)  # type: ignore[type-abstract]
            job_ids = [job.id for job in await jobs.list(None, documents + 10)]
        slots = asyncio.Semaphore(settings.worker_concurrency)  # as many jobs at once as one worker runs

        async def ingest(job_id: uuid.UUID) -> int:
            async with slots, container() as scope:
                return (await (await scope.get(IngestDocument)).execute(job_id)).chunks

        started = time.perf_counter()
        chunks = sum(await asyncio.gather(*(ingest(job_id) for job_id in job_ids)))
        elapsed = time.perf_counter() - started
    finally:
        await container.close()
    print(f"ingested {documents} documents, {chunks} chunks in {elapsed:.1f} s: {chunks / elapsed:.0f} chunks/s")
    return chunks, elapsed


@dataclass(frozen=True)
class Round:
    chunks: int
    ingested_per_second: float
    embedder_per_second: float

    @property
    def ratio(self) -> float:
        return self.ingested_per_second / self.embedder_per_second


async def bench_ingestion(stores: BenchStores, owner: Principal, documents: int, rounds: int) -> list[Round]:
    """Interleaved rounds: the double's raw throughput, then ingestion through it, on the same machine state."""
    with embedder_process() as url:
        settings = stores.settings(embeddings_base_url=url, embeddings_model="bench-embed")
        container = build_container(settings)
        async with container() as scope:
            collection = (await (await scope.get(CreateCollection)).execute(owner, "Bench ingest")).collection
        await container.close()
        results = []
        for n in range(rounds):
            rng = random.Random(100 + n)
            texts = [" ".join(sentence(rng, 15) for _ in range(12)) for _ in range(documents * 9)]
            ceiling = await raw_throughput(url, texts)
            chunks, seconds = await bench_ingest(settings, owner, collection.id, documents, seed=3 + n)
            results.append(Round(chunks, chunks / seconds, ceiling))
            print(f"round {n + 1}: ingestion {chunks / seconds:.0f} chunks/s, the double alone {ceiling:.0f} chunks/s")
    return results


def ingestion_report(documents: int, rounds: list[Round]) -> list[str]:
    median = statistics.median(r.ratio for r in rounds)
    return [
        f"## Ingestion ({datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {platform.python_version()},"
        " embedded PostgreSQL 18 + pgvector 0.8)",
        "",
        f"{documents} text documents per round ({rounds[0].chunks} chunks of <= 256 tokens), ingested by one"
        " worker's concurrency (WORKER_CONCURRENCY jobs at once, sharing batches of <= 64 chunks across"
        " documents) through the OpenAI-wire double running as a process of its own; in the same round, just"
        " before, the double's raw throughput: as many chunk-sized texts in batches of 64 from a bare HTTP"
        " client, one batch at a time. Target (issue 9): ingestion >= 90% of the embedder's throughput.",
        "",
        "| round | ingestion chunks/s | the double alone chunks/s | ratio |",
        "| ---: | ---: | ---: | ---: |",
        *(
            f"| {n} | {r.ingested_per_second:.0f} | {r.embedder_per_second:.0f} | {r.ratio:.0%} |"
            for n, r in enumerate(rounds, 1)
        ),
        "",
        f"Median ratio: **{median:.0%}**.",
        "",
    ]


async def main(chunks: int, queries: int, documents: int, rounds: int, output: Path, ingestion_only: bool) -> None:
    vectors = ClusteredVectors(seed=1)
    double = EmbeddingsDouble()
    async with bench_stores() as stores:
        container = build_container(stores.settings())
        async with container() as scope:
            owner_user = await (await scope.get(CreateUser)).execute(
                NewAccount("bench@example.org", "bench password 123", "Bench", Role.EDITOR, verified=True)
            )
        owner = Principal(owner_user.id, Role.EDITOR, session_id=uuid.uuid4())
        await container.close()
        ingestion = await bench_ingestion(stores, owner, documents, rounds)
        ingestion_output = output.with_name("ingestion.md")
        ingestion_output.write_text("\n".join(ingestion_report(documents, ingestion)))
        print(f"wrote {ingestion_output}")
        if ingestion_only:
            return
        with serve(double) as url:
            settings = stores.settings(embeddings_base_url=f"{url}/v1", embeddings_model="bench-embed")
            container = build_container(settings)
            async with container() as scope:
                searched = await (await scope.get(CreateCollection)).execute(owner, "Bench search")
            await container.close()
            load = await load_chunks(stores.database_url, searched.collection.id, chunks, 20, vectors, seed=1)
            recall = {ef: await bench_recall(settings, owner, vectors, 100, ef, seed=4) for ef in EF_SEARCH}
            search = {ef: await bench_search(settings, owner, vectors, queries, ef, seed=2) for ef in EF_SEARCH}
    chosen = settings.search_ef_search
    report = [
        f"## Knowledge ({datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {platform.python_version()},"
        " embedded PostgreSQL 18 + pgvector 0.8)",
        "",
        f"Search over {chunks:,} chunks ({DIMENSIONS}-dim unit vectors drawn around {CLUSTERS} random centres"
        f" (clustered Gaussian, per-component spread {SPREAD}); queries near the same centres; HNSW cosine"
        " m=16, ef_construction=64; GIN full text), a non-admin member so the permission subquery runs;"
        f" {queries} random 3-word queries per mode after 10 warm-up queries, limit 10, measured at the"
        " `Search` use case (query embedding computed in-process). Keyword: every match scored with ts_rank,"
        " the best 200 (>= 5x the limit) ordered by ts_rank_cd; hybrid: the keyword leg (40 rows) on the request's"
        " connection while the vector leg (40 rows) runs on the vector pool. Recall@10 of the vector leg: 100"
        " queries, the HNSW answer against the same SQL with index scans off (exact).",
        "",
        "| `SEARCH_EF_SEARCH` | recall@10 | keyword P50 / P95 ms | vector P50 / P95 ms | hybrid P50 / P95 ms |",
        "| ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {ef}{' (default)' if ef == chosen else ''} | {recall[ef]:.3f} | "
            + " | ".join(f"{search[ef][m][0]:.1f} / {search[ef][m][1]:.1f}" for m in ("keyword", "vector", "hybrid"))
            + " |"
            for ef in EF_SEARCH
        ),
        "",
        f"Bulk load of the search corpus: {chunks / load:.0f} chunks/s before index build.",
        "",
    ]
    output.write_text("\n".join(report))
    print(f"wrote {output}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ingestion-only", action="store_true", help="only the ingestion section (a minute)")
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/knowledge.md"))
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(args.chunks, args.queries, args.documents, args.rounds, args.output, args.ingestion_only))
