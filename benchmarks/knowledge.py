"""Search latency at 100k chunks and ingestion throughput, on embedded Postgres + Redis.

Run with `uv run just bench`. Writes a section of BENCHMARKS.md. Not part of the test gate.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from adapters.embedded.postgres import EmbeddedPostgres
from adapters.embedded.redis import EmbeddedRedis
from adapters.persistence import migrations
from adapters.persistence.engine import create_engine, create_session_factory
from adapters.persistence.knowledge.search_index import PostgresSearchIndex
from application.identity.accounts import NewAccount
from application.identity.users import CreateUser
from application.knowledge.collections import CreateCollection
from application.knowledge.documents import AddDocument, NewDocument
from application.knowledge.ingest import IngestDocument
from application.knowledge.ports import IngestionJobRepository
from application.knowledge.search import Search, SearchRequest
from domain.identity.principal import Principal
from domain.identity.roles import Role
from domain.knowledge.models import ContentType, SearchMode
from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.settings import Environment, Settings
from tests.support.openai_double import DIMENSIONS, EmbeddingsDouble, embed_text
from tests.support.servers import serve

WORDS = [f"{a}{b}" for a in ("al", "be", "co", "da", "el", "fo", "ga", "hi", "io", "ju") for b in range(500)]


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


class LocalEmbedder:
    """The double's vectors computed in-process, so search timings measure the database."""

    enabled = True
    model = "bench-embed"

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [embed_text(t) for t in texts]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


async def load_chunks(url: str, collection_id: uuid.UUID, chunks: int, per_document: int, seed: int) -> float:
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
                    vector = "[" + ",".join(f"{x:.5f}" for x in embed_text(body)) + "]"
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


async def bench_search(
    settings: Settings, principal: Principal, queries: int, seed: int
) -> dict[str, tuple[float, float]]:
    engine = create_engine(settings.require_database_url, pool_size=2)
    sessions = create_session_factory(engine)
    rng = random.Random(seed)
    results: dict[str, tuple[float, float]] = {}
    try:
        for mode in (SearchMode.KEYWORD, SearchMode.VECTOR, SearchMode.HYBRID):
            timings = []
            for n in range(queries + 10):
                query = " ".join(rng.choice(WORDS) for _ in range(3))
                async with sessions() as session:
                    search = Search(PostgresSearchIndex(session), LocalEmbedder())
                    started = time.perf_counter()
                    result = await search.execute(principal, SearchRequest(query=query, mode=mode, limit=10))
                    elapsed = (time.perf_counter() - started) * 1000
                if n >= 10:  # warm-up excluded
                    timings.append(elapsed)
                assert mode is not SearchMode.VECTOR or len(result.hits) == 10
            results[mode.value] = (statistics.median(timings), percentile(timings, 0.95))
            print(f"{mode.value:>7}: P50 {results[mode.value][0]:.1f} ms, P95 {results[mode.value][1]:.1f} ms")
    finally:
        await engine.dispose()
    return results


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
        started = time.perf_counter()
        for job_id in job_ids:
            async with container() as scope:
                chunks += (await (await scope.get(IngestDocument)).execute(job_id)).chunks
        elapsed = time.perf_counter() - started
    finally:
        await container.close()
    print(f"ingested {documents} documents, {chunks} chunks in {elapsed:.1f} s: {chunks / elapsed:.0f} chunks/s")
    return chunks, elapsed


async def main(chunks: int, queries: int, documents: int, output: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="lore-bench-") as tmp:
        postgres = EmbeddedPostgres(Path(tmp) / "pg", database="bench")
        redis = EmbeddedRedis(Path(tmp) / "redis")
        postgres.start()
        redis.start()
        double = EmbeddingsDouble()
        try:
            await postgres.ensure_database()
            await asyncio.to_thread(migrations.upgrade, postgres.url())
            with serve(double) as url:
                settings = Settings(
                    lore_env=Environment.TEST,
                    lore_data_dir=Path(tmp) / "data",
                    database_url=postgres.url(),
                    redis_url=redis.url,
                    jwt_secret="b" * 48,
                    embeddings_base_url=f"{url}/v1",
                    embeddings_model="bench-embed",
                    log_level="WARNING",
                )
                container = build_container(settings)
                async with container() as scope:
                    owner_user = await (await scope.get(CreateUser)).execute(
                        NewAccount("bench@example.org", "bench password 123", "Bench", Role.EDITOR, verified=True)
                    )
                owner = Principal(owner_user.id, Role.EDITOR, session_id=uuid.uuid4())
                async with container() as scope:
                    searched = await (await scope.get(CreateCollection)).execute(owner, "Bench search")
                    ingested = await (await scope.get(CreateCollection)).execute(owner, "Bench ingest")
                await container.close()
                load = await load_chunks(postgres.url(), searched.collection.id, chunks, 20, seed=1)
                search = await bench_search(settings, owner, queries, seed=2)
                ingested_chunks, seconds = await bench_ingest(
                    settings, owner, ingested.collection.id, documents, seed=3
                )
        finally:
            redis.stop()
            postgres.stop()
    report = [
        f"## Knowledge ({datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {platform.python_version()},"
        " embedded PostgreSQL 18 + pgvector 0.8)",
        "",
        f"Search over {chunks:,} chunks ({DIMENSIONS}-dim vectors, HNSW cosine; GIN full text), a non-admin member"
        f" so the permission subquery runs; {queries} random 3-word queries per mode after 10 warm-up queries,"
        " limit 10, measured at the `Search` use case (query embedding computed in-process).",
        "",
        "| mode | P50 ms | P95 ms |",
        "| --- | ---: | ---: |",
        *(f"| {mode} | {p50:.1f} | {p95:.1f} |" for mode, (p50, p95) in search.items()),
        "",
        f"Ingestion: {documents} text documents, {ingested_chunks} chunks of <= 256 tokens, embedded through the"
        " OpenAI-wire double over HTTP in batches of 64, one worker: "
        f"**{ingested_chunks / seconds:.0f} chunks/s** ({seconds:.1f} s). Bulk load of the search corpus:"
        f" {chunks / load:.0f} chunks/s before index build.",
        "",
    ]
    output.write_text("\n".join(report))
    print(f"wrote {output}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/knowledge.md"))
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(args.chunks, args.queries, args.documents, args.output))
