"""Measured retrieval: recall@5, recall@10 and MRR of each search mode over the evaluation set in benchmarks/eval.

The corpus (markdown, HTML, text, Word, PDF) is ingested into an embedded Lore through the real pipeline
(kreuzberg extraction, structure-aware chunks, the Postgres index); the questions run through the `Search` use
case. A hit answers a question when it comes from the expected document and holds the expected quote (compared
on lower-cased words, so markdown escapes and line breaks do not matter).

Doubles, not models: vectors come from the embeddings double (a hashed bag of words: it matches shared words,
not meanings), and hybrid+rerank uses the rerank double (Okapi BM25 of the question against each candidate,
served over TEI's `/rerank` wire shape). The figures measure Lore's plumbing and ranking, and set a floor to
compare real embedders and rerankers against.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from application.identity.accounts import NewAccount
from application.identity.users import CreateUser
from application.knowledge.collections import CreateCollection
from application.knowledge.documents import AddDocument, NewDocument
from application.knowledge.ingest import IngestDocument
from application.knowledge.ports import ChunkHit, IngestionJobRepository
from application.knowledge.search import Rerank, Search, SearchRequest
from benchmarks.eval.generated import PDF, WORD, make_docx
from benchmarks.eval.questions import CORPUS, Expected, Question, load_questions, words
from benchmarks.stores import bench_stores
from domain.identity.principal import Principal
from domain.identity.roles import Role
from domain.knowledge.models import ContentType, SearchMode
from entrypoints.bootstrap.container import build_container
from tests.support.openai_double import EmbeddingsDouble
from tests.support.pdf import make_pdf
from tests.support.rerank_double import RerankDouble
from tests.support.servers import serve

TYPES = {".md": ContentType.MARKDOWN, ".html": ContentType.HTML, ".txt": ContentType.TEXT}


@dataclass(frozen=True)
class Method:
    name: str
    mode: SearchMode
    rerank: Rerank = Rerank.OFF


METHODS = (
    Method("keyword", SearchMode.KEYWORD),
    Method("vector", SearchMode.VECTOR),
    Method("hybrid", SearchMode.HYBRID),
    Method("hybrid + rerank", SearchMode.HYBRID, Rerank.ON),
)


def corpus() -> list[tuple[str, ContentType, bytes]]:
    """Every document of the evaluation set: (name, type, bytes); the Word and PDF files are built here."""
    files = [(p.name, TYPES[p.suffix], p.read_bytes()) for p in sorted(CORPUS.iterdir()) if p.suffix in TYPES]
    files += [(name, ContentType.DOCX, make_docx(blocks)) for name, blocks in WORD.items()]
    files += [(name, ContentType.PDF, make_pdf(*pages)) for name, pages in PDF.items()]
    return files


def answers(hit: ChunkHit, expected: Expected) -> bool:
    return hit.title == expected.document and words(expected.quote) in words(hit.text)


@dataclass(frozen=True)
class Score:
    recall_5: float
    recall_10: float
    mrr: float
    median_ms: float


def score(questions: list[Question], ranked: list[list[ChunkHit]], durations: list[float]) -> Score:
    recalls: dict[int, list[float]] = {5: [], 10: []}
    reciprocal: list[float] = []
    for question, hits in zip(questions, ranked, strict=True):
        for k, values in recalls.items():
            found = sum(any(answers(h, e) for h in hits[:k]) for e in question.answers)
            values.append(found / len(question.answers))
        rank = next((n for n, h in enumerate(hits[:10], 1) if any(answers(h, e) for e in question.answers)), None)
        reciprocal.append(1 / rank if rank else 0.0)
    return Score(
        statistics.fmean(recalls[5]),
        statistics.fmean(recalls[10]),
        statistics.fmean(reciprocal),
        statistics.median(durations) * 1000,
    )


async def evaluate() -> tuple[dict[str, Score], int, int, int]:
    questions = load_questions()
    documents = corpus()
    embeddings, reranker = EmbeddingsDouble(), RerankDouble()
    async with bench_stores() as stores:
        with serve(embeddings) as embeddings_url, serve(reranker) as rerank_url:
            settings = stores.settings(
                embeddings_base_url=f"{embeddings_url}/v1",
                embeddings_model="double-embed",
                rerank_url=rerank_url,
                rerank_protocol="tei",
            )
            container = build_container(settings)
            try:
                async with container() as scope:
                    user = await (await scope.get(CreateUser)).execute(
                        NewAccount("eval@example.org", "eval password 123", "Eval", Role.EDITOR, verified=True)
                    )
                owner = Principal(user.id, Role.EDITOR, session_id=uuid.uuid4())
                async with container() as scope:
                    collection = (await (await scope.get(CreateCollection)).execute(owner, "Eval")).collection
                for name, content_type, source in documents:
                    async with container() as scope:
                        await (await scope.get(AddDocument)).execute(
                            owner, collection.id, NewDocument(name, content_type, source)
                        )
                async with container() as scope:
                    jobs: IngestionJobRepository = await scope.get(IngestionJobRepository)
                    job_ids = [job.id for job in await jobs.list(None, len(documents) + 10)]
                chunks = 0
                for job_id in job_ids:
                    async with container() as scope:
                        result = await (await scope.get(IngestDocument)).execute(job_id)
                        if result.chunks == 0:
                            raise RuntimeError(f"job {job_id} produced no chunks")
                        chunks += result.chunks
                scores = {}
                for method in METHODS:
                    ranked, durations = [], []
                    for question in questions:
                        async with container() as scope:
                            search = await scope.get(Search)
                            started = time.perf_counter()
                            found = await search.execute(
                                owner, SearchRequest(question.text, method.mode, limit=10, rerank=method.rerank)
                            )
                            durations.append(time.perf_counter() - started)
                        if method.rerank is Rerank.ON and not found.retrieval.reranked:
                            raise RuntimeError("the rerank double did not answer")
                        ranked.append(found.hits)
                    scores[method.name] = score(questions, ranked, durations)
            finally:
                await container.close()
    return scores, len(documents), chunks, len(questions)


def report(scores: dict[str, Score], documents: int, chunks: int, questions: int) -> list[str]:
    kinds = sorted({name.rsplit(".", 1)[1] for name, _, _ in corpus()})
    lines = [
        f"## Retrieval quality ({datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {platform.python_version()})",
        "",
        f"The evaluation set in `benchmarks/eval`: {documents} documents ({', '.join(kinds)}; Word and PDF built by"
        f" `benchmarks/eval/generated.py`), {chunks} chunks, {questions} questions, each with the passages that"
        " answer it (document + quoted words). Ingested through the real pipeline into embedded PostgreSQL; the"
        " questions run through the `Search` use case with `limit` 10. Recall@k: the share of a question's"
        " expected passages in the top k, averaged; MRR: 1 / rank of the first answering hit (0 beyond 10)."
        " Equal scores are ordered by chunk id, which is random per run, so a figure may move by one question"
        f" (1/{questions} = {1 / questions:.3f}) between runs; latencies are medians on a shared 2-core machine.",
        "",
        "**Doubles, not models.** Vectors come from the embeddings double (a hashed bag of words: it matches shared"
        " words, not meanings); the reranker is the rerank double (Okapi BM25 of the question against each of the"
        " top 30 candidates, served over TEI's `/rerank` wire shape). Read the figures as a floor and as a check"
        " that each mode and the rerank step work end to end; point `EMBEDDINGS_BASE_URL` and `RERANK_URL` at real"
        " servers to measure models.",
        "",
        "| method | recall@5 | recall@10 | MRR | median ms/query |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, s in scores.items():
        lines.append(f"| {name} | {s.recall_5:.3f} | {s.recall_10:.3f} | {s.mrr:.3f} | {s.median_ms:.1f} |")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/retrieval.md"))
    args = parser.parse_args()
    scores, documents, chunks, questions = asyncio.run(evaluate())
    text = "\n".join(report(scores, documents, chunks, questions))
    print(text)
    args.output.write_text(text)


if __name__ == "__main__":
    main()
