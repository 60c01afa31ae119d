"""Runs of several documents started and finished in shared transactions on real Postgres: each run gets its
own outcome, a job locked elsewhere holds up only its own start, and a failed write fails only its run."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.engine import create_session_factory
from adapters.persistence.knowledge.ingestion_runs import SqlIngestionRuns
from adapters.persistence.knowledge.ingestion_writes import SqlIngestionWrites
from application.identity.accounts import NewAccount
from application.identity.users import CreateUser
from application.knowledge.collections import CreateCollection
from application.knowledge.documents import AddDocument, NewDocument
from application.knowledge.ports import FinishedRun, NewChunk, RunOutcome, RunStart
from application.knowledge.start_batching import CoalescingStarts
from application.knowledge.write_batching import CoalescingWrites
from domain.identity.principal import Principal
from domain.identity.roles import Role
from domain.knowledge.models import ContentType
from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.settings import Settings


@pytest.fixture
async def queued(settings: Settings, engine: AsyncEngine) -> list[UUID]:
    """Four documents, each with its ingestion job queued, oldest first."""
    container = build_container(settings)
    try:
        async with container() as scope:
            user = await (await scope.get(CreateUser)).execute(
                NewAccount("writer@example.org", "writer password 123", "W", Role.EDITOR, verified=True)
            )
        owner = Principal(user.id, Role.EDITOR, session_id=uuid.uuid4())
        async with container() as scope:
            collection = (await (await scope.get(CreateCollection)).execute(owner, "Writes")).collection
        for n in range(4):
            async with container() as scope:
                await (await scope.get(AddDocument)).execute(
                    owner, collection.id, NewDocument(f"Doc {n}", ContentType.TEXT, f"text {n}".encode())
                )
    finally:
        await container.close()
    async with engine.connect() as connection:
        return list(await connection.scalars(text("SELECT id FROM ingestion_jobs ORDER BY created_at")))


@pytest.fixture
async def started(engine: AsyncEngine, queued: list[UUID]) -> list[RunStart]:
    """The four jobs claimed by runs (as the worker's start leaves them)."""
    job_ids = queued
    now = datetime.now(UTC)
    runs = await SqlIngestionRuns(create_session_factory(engine)).start(
        job_ids, now, now + timedelta(minutes=5), wait=False
    )
    assert runs.busy == frozenset()
    return [runs.started[job_id] for job_id in job_ids]


def _finished(run: RunStart, *texts: str, dims: int = 3) -> FinishedRun:
    assert run.document is not None
    chunks = [NewChunk(n, t, 0, len(t), 1, [float(n + 1)] * dims) for n, t in enumerate(texts)]
    return FinishedRun(run.job.id, run.job.attempts, run.document, chunks, "test-embed")


async def _rows(engine: AsyncEngine, sql: str) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(text(sql))]


async def _by_id(engine: AsyncEngine, sql: str) -> dict[Any, Any]:
    return {row[0]: row[1] for row in await _rows(engine, sql)}


async def test_runs_of_several_documents_each_get_their_outcome_in_one_transaction(
    engine: AsyncEngine, started: list[RunStart]
) -> None:
    current, other, stale, changed = started
    async with engine.begin() as connection:  # a newer version of one document arrived meanwhile
        await connection.execute(
            text("UPDATE documents SET content_hash = 'newer' WHERE id = :id"), {"id": changed.job.document_id}
        )
    runs = [
        _finished(current, "first", "second"),
        _finished(other, "only"),
        FinishedRun(stale.job.id, stale.job.attempts - 1, stale.document, [], None),  # type: ignore[arg-type]
        _finished(changed, "old text"),
    ]

    outcomes = await SqlIngestionWrites(create_session_factory(engine)).write(runs, datetime.now(UTC))

    assert outcomes == [RunOutcome.WRITTEN, RunOutcome.WRITTEN, RunOutcome.NOT_HELD, RunOutcome.SUPERSEDED]
    chunks = await _rows(
        engine, "SELECT document_id, ordinal, text, embedding::text FROM document_chunks ORDER BY document_id, ordinal"
    )
    assert sorted((d, o, t, e) for d, o, t, e in chunks) == sorted(
        [
            (current.job.document_id, 0, "first", "[1,1,1]"),
            (current.job.document_id, 1, "second", "[2,2,2]"),
            (other.job.document_id, 0, "only", "[1,1,1]"),
        ]
    )
    documents = await _by_id(engine, "SELECT id, status || '/' || chunk_count FROM documents")
    assert documents[current.job.document_id] == "ready/2"
    assert documents[other.job.document_id] == "ready/1"
    assert documents[stale.job.document_id] == documents[changed.job.document_id] == "processing/0"
    jobs = await _by_id(engine, "SELECT id, status FROM ingestion_jobs")
    assert [jobs[r.job.id] for r in started] == ["done", "done", "running", "done"]


async def test_a_failing_write_fails_only_its_own_run(engine: AsyncEngine, started: list[RunStart]) -> None:
    writes = SqlIngestionWrites(create_session_factory(engine))
    good, bad, later, _ = started
    runs = [_finished(good, "fine"), _finished(bad, "nul \x00 byte"), _finished(later, "fine too")]
    with pytest.raises(Exception, match="0x00"):  # Postgres text takes no NUL: the statement fails
        await writes.write(runs, datetime.now(UTC))
    assert await _rows(engine, "SELECT id FROM document_chunks") == []  # nothing of the batch was written

    coalescing = CoalescingWrites(writes, linger_seconds=0.05)
    results = await asyncio.gather(*(coalescing.write([r], datetime.now(UTC)) for r in runs), return_exceptions=True)

    assert results[0] == results[2] == [RunOutcome.WRITTEN]
    assert isinstance(results[1], Exception)
    written = {row[0] for row in await _rows(engine, "SELECT document_id FROM document_chunks")}
    assert written == {good.job.document_id, later.job.document_id}


async def test_two_runs_of_one_document_in_a_batch_leave_one_set_of_chunks(
    engine: AsyncEngine, started: list[RunStart]
) -> None:
    first, *_ = started
    again = FinishedRun(first.job.id, first.job.attempts, first.document, [], None)  # type: ignore[arg-type]
    outcomes = await SqlIngestionWrites(create_session_factory(engine)).write(
        [_finished(first, "a", "b"), _finished(first, "c", dims=2), again], datetime.now(UTC)
    )
    assert outcomes == [RunOutcome.WRITTEN] * 3
    # written one after the other in that order: the last swap wins, as with three transactions
    assert await _rows(engine, "SELECT count(*) FROM document_chunks") == [(0,)]


async def test_starts_claim_together_and_a_locked_job_waits_alone(engine: AsyncEngine, queued: list[UUID]) -> None:
    runs = SqlIngestionRuns(create_session_factory(engine))
    now = datetime.now(UTC)
    lease = now + timedelta(minutes=5)
    first, locked, *rest = queued
    async with engine.connect() as holder:
        await holder.begin()
        await holder.execute(text("SELECT id FROM ingestion_jobs WHERE id = :id FOR UPDATE"), {"id": locked})
        batch = await asyncio.wait_for(runs.start([first, locked], now, lease, wait=False), timeout=30)
        assert (set(batch.started), batch.busy) == ({first}, frozenset({locked}))  # not held up by the lock

        starts = CoalescingStarts(runs, linger_seconds=0.05)
        waiting = asyncio.ensure_future(starts.start(locked, now, lease))
        claims = [starts.start(job_id, now, lease) for job_id in (first, rest[0], rest[0])]
        again, claimed, twice = await asyncio.wait_for(asyncio.gather(*claims), timeout=30)
        assert again is None  # running under a live lease
        assert claimed is not None
        assert twice is None  # the same job twice in a batch: one run claims it
        assert (claimed.job.id, claimed.job.attempts) == (rest[0], 1)
        assert claimed.source is not None  # the original is in the blob store, by its content hash
        assert (claimed.source.blob_key, claimed.source.data) == (
            f"sha256/{hashlib.sha256(b'text 2').hexdigest()}",
            None,
        )
        assert claimed.document is not None
        assert claimed.document.status.value == "processing"
        await asyncio.sleep(0.2)
        assert not waiting.done()  # it waits for the lock, as a single claim does
        await holder.rollback()
    late = await asyncio.wait_for(waiting, timeout=30)
    assert late is not None
    assert late.job.id == locked
    jobs = await _by_id(engine, "SELECT id, status || '/' || attempts FROM ingestion_jobs")
    assert [jobs[j] for j in queued] == ["running/1", "running/1", "running/1", "enqueued/0"]
