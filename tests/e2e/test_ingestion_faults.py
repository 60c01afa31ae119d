"""Fault tolerance of ingestion: Redis down at upload time, and a worker that dies holding a job."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.embedded.redis import EmbeddedRedis
from application.knowledge.ingest import IngestDocument, IngestOutcome, IngestResult
from application.knowledge.ports import IngestionJobRepository, JobStatus
from application.shared.ports import UnitOfWork
from domain.identity.roles import Role
from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import add_text, new_collection, search, wait_for_status
from tests.support.api import signed_in
from tests.support.openai_double import EmbeddingsDouble
from tests.support.processes import STARTUP_LIMIT_SECONDS
from tests.support.servers import serve


async def _jobs(engine: AsyncEngine) -> list[tuple[str, int]]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT status, attempts FROM ingestion_jobs ORDER BY created_at"))
        return [(row.status, row.attempts) for row in rows]


async def _chunk_rows(engine: AsyncEngine, document_id: str) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM document_chunks WHERE document_id = :id"), {"id": UUID(document_id)}
        )
        return int(count or 0)


async def test_upload_while_redis_is_down_is_ingested_once_it_is_back(
    kb_settings: Settings, engine: AsyncEngine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    redis = EmbeddedRedis(tmp_path / "redis")
    redis.start()
    settings = msgspec.structs.replace(kb_settings, redis_url=redis.url)
    try:
        async with AsyncTestClient(app=create_app(settings)) as client:
            editor = await signed_in(client, "ed@example.org", Role.EDITOR)
            collection = await new_collection(client, editor)
            redis.stop()

            response = await add_text(client, editor, collection, "Outage", "Written while the queue was down.")
            assert response.status_code == 202, response.text
            document_id = response.json()["data"]["id"]
            assert await _jobs(engine) == [("pending", 0)]  # committed in the outbox, nothing lost
            relay = [r for r in caplog.records if r.getMessage().startswith("could not relay")]
            assert [(r.levelname, r.exc_info, getattr(r, "dependency", None)) for r in relay] == [
                ("WARNING", None, "queue")
            ]  # an expected outage: one line naming the queue, no traceback

        redis.start()
        async with AsyncTestClient(app=create_app(settings, run_worker=True)) as client:
            ready = await wait_for_status(client, editor, document_id, timeout=30)
            assert ready["chunk_count"] == 1
            hits = (await search(client, editor, "queue was down", mode="keyword")).json()["data"]
            assert [h["document_id"] for h in hits] == [document_id]
        assert await _jobs(engine) == [("done", 1)]
    finally:
        redis.stop()


async def test_a_job_held_by_a_dead_worker_is_retried_without_duplicate_chunks(
    kb_settings: Settings, engine: AsyncEngine
) -> None:
    async with AsyncTestClient(app=create_app(kb_settings)) as client:
        editor = await signed_in(client, "ed@example.org", Role.EDITOR)
        collection = await new_collection(client, editor)
        body = " ".join(f"Sentence number {i} talks about durable ingestion." for i in range(200))
        document_id = (await add_text(client, editor, collection, "Long", body)).json()["data"]["id"]

    # a worker claims the job and dies: its lease runs out with the job still "running"
    container = build_container(kb_settings)
    try:
        async with container() as scope:
            jobs: IngestionJobRepository = await scope.get(IngestionJobRepository)
            (job,) = await jobs.list(None, 10)
            now = datetime.now(UTC)
            claimed = await jobs.claim(job.id, now - timedelta(minutes=10), now - timedelta(seconds=1))
            assert claimed is not None
            assert claimed.status is JobStatus.RUNNING
            await (await scope.get(UnitOfWork)).commit()
    finally:
        await container.close()

    async with AsyncTestClient(app=create_app(kb_settings, run_worker=True)) as client:
        ready = await wait_for_status(client, editor, document_id, timeout=30)
        chunks = ready["chunk_count"]
        assert chunks > 1
        assert await _chunk_rows(engine, document_id) == chunks
        assert await _jobs(engine) == [("done", 2)]  # the dead attempt counts

        # ingesting the same document again replaces its chunks rather than adding to them
        changed = await client.patch(f"/api/v1/documents/{document_id}", json={"title": "Long"}, headers=editor.headers)
        assert changed.status_code == 200
        await client.patch(
            f"/api/v1/documents/{document_id}", json={"content": body + " One more."}, headers=editor.headers
        )
        again = await wait_for_status(client, editor, document_id, timeout=30)
        assert await _chunk_rows(engine, document_id) == again["chunk_count"]


async def test_an_embeddings_outage_is_retried_with_backoff(
    kb_settings: Settings, embeddings_double: tuple[EmbeddingsDouble, str], engine: AsyncEngine
) -> None:
    double, _ = embeddings_double
    async with AsyncTestClient(app=create_app(kb_settings, run_worker=True)) as client:
        editor = await signed_in(client, "ed@example.org", Role.EDITOR)
        collection = await new_collection(client, editor)
        double.failures.append(500)  # one attempt per job run: the job's own backoff is the retry
        document_id = (await add_text(client, editor, collection, "Flaky", "Embeddings were down.")).json()["data"][
            "id"
        ]
        waiting = await wait_for_status(client, editor, document_id, wanted="pending", timeout=10)
        for _ in range(100):
            waiting = (await client.get(f"/api/v1/documents/{document_id}", headers=editor.headers)).json()["data"]
            if waiting["error"]:
                break
            await asyncio.sleep(0.05)
        assert waiting["error"]["stage"] == "embed"
        ready = await wait_for_status(client, editor, document_id, timeout=30)  # after the 5 s backoff
        assert ready["error"] is None
    assert await _jobs(engine) == [("done", 2)]


async def test_a_killed_worker_process_leaves_a_job_that_is_retried_once(
    kb_settings: Settings, engine: AsyncEngine, tmp_path: Path
) -> None:
    """A real `lore worker` process is SIGKILLed while embedding; another worker finishes the job."""
    slow = EmbeddingsDouble(delay_seconds=30.0)
    settings = msgspec.structs.replace(kb_settings, ingest_lease_seconds=2)
    with serve(slow) as slow_url:
        async with AsyncTestClient(app=create_app(settings)) as client:
            editor = await signed_in(client, "ed@example.org", Role.EDITOR)
            collection = await new_collection(client, editor)
            body = " ".join(f"Line {i} about resilient workers." for i in range(300))
            document_id = (await add_text(client, editor, collection, "Killed", body)).json()["data"]["id"]

        env = {k: v for k, v in os.environ.items() if k not in ("LORE_ENV",)}
        env |= {
            "LORE_ENV": "test",
            "LORE_DATA_DIR": str(tmp_path),
            "DATABASE_URL": settings.require_database_url,
            "REDIS_URL": settings.require_redis_url,
            "JWT_SECRET": settings.jwt_secret,
            "EMBEDDINGS_BASE_URL": f"{slow_url}/v1",
            "EMBEDDINGS_MODEL": "double-embed",
            "INGEST_LEASE_SECONDS": "2",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # until the worker is inside the embedding call (a fresh process on a loaded machine starts slowly)
            deadline = asyncio.get_running_loop().time() + STARTUP_LIMIT_SECONDS
            while asyncio.get_running_loop().time() < deadline:
                if slow.requests and await _jobs(engine) == [("running", 1)]:
                    break
                await asyncio.sleep(0.1)
            assert await _jobs(engine) == [("running", 1)]
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
    assert await _chunk_rows(engine, document_id) == 0  # nothing half-written

    async with AsyncTestClient(app=create_app(settings, run_worker=True)) as client:
        ready = await wait_for_status(client, editor, document_id, timeout=120)
        assert await _chunk_rows(engine, document_id) == ready["chunk_count"] > 1
    assert await _jobs(engine) == [("done", 2)]


async def test_a_run_whose_lease_ran_out_leaves_the_outcome_to_the_run_that_took_over(
    kb_settings: Settings, embeddings_double: tuple[EmbeddingsDouble, str], engine: AsyncEngine
) -> None:
    """Two runs of one job at once (the first outlived its lease): only the newer one writes chunks."""
    double, _ = embeddings_double
    settings = msgspec.structs.replace(kb_settings, ingest_lease_seconds=1)
    async with AsyncTestClient(app=create_app(settings)) as client:
        editor = await signed_in(client, "ed@example.org", Role.EDITOR)
        collection = await new_collection(client, editor)
        body = " ".join(f"Line {i} about fenced ingestion runs." for i in range(100))
        document_id = (await add_text(client, editor, collection, "Fenced", body)).json()["data"]["id"]

    container = build_container(settings)
    double.hang = True  # each run waits in its embedding call until both are there
    try:
        async with container() as scope:
            (job,) = await (await scope.get(IngestionJobRepository)).list(None, 10)

        async def run() -> IngestResult:
            async with container() as scope:
                return await (await scope.get(IngestDocument)).execute(job.id)

        async def until(condition: Any) -> None:
            for _ in range(300):
                if await condition():
                    return
                await asyncio.sleep(0.05)
            raise AssertionError("condition not met within 15 s")

        async def lease_over() -> bool:
            # its renewals stalled (a frozen loop, a lost connection to the database): the lease lapses
            async with engine.begin() as connection:
                await connection.execute(text("UPDATE ingestion_jobs SET locked_until = now() - interval '1 second'"))
            return True

        before = len(double.requests)  # the double serves the whole session

        async def embedding(count: int) -> bool:
            return len(double.requests) - before == count

        stale = asyncio.create_task(run())
        await until(lambda: embedding(1))
        await until(lease_over)
        newer = asyncio.create_task(run())  # the lease ran out: this run claims the job again
        await until(lambda: embedding(2))
        double.hang = False
        outcomes = await asyncio.wait_for(asyncio.gather(stale, newer), timeout=60)
    finally:
        double.hang = False
        await container.close()

    assert [o.outcome for o in outcomes] == [IngestOutcome.SKIPPED, IngestOutcome.READY]
    assert await _chunk_rows(engine, document_id) == outcomes[1].chunks > 1
    assert await _jobs(engine) == [("done", 2)]


async def test_a_run_that_takes_longer_than_its_lease_keeps_the_job(
    kb_settings: Settings, embeddings_double: tuple[EmbeddingsDouble, str], engine: AsyncEngine
) -> None:
    """Its worker renews the lease while it works: the relay (every 5 s) never sends the job again.

    Unrenewed, each run that outlived its lease was superseded by the next, and a job whose runs all took
    that long never finished.
    """
    double, _ = embeddings_double
    double.delay_seconds = 7  # one embedding call outlasts the 1 s lease and a relay round
    settings = msgspec.structs.replace(kb_settings, ingest_lease_seconds=1)
    try:
        async with AsyncTestClient(app=create_app(settings, run_worker=True)) as client:
            editor = await signed_in(client, "ed@example.org", Role.EDITOR)
            collection = await new_collection(client, editor)
            document_id = (await add_text(client, editor, collection, "Slow", "Embedded slowly.")).json()["data"]["id"]
            ready = await wait_for_status(client, editor, document_id, timeout=120)
    finally:
        double.delay_seconds = 0
    assert await _jobs(engine) == [("done", 1)]  # one run, never superseded
    assert await _chunk_rows(engine, document_id) == ready["chunk_count"] == 1


async def test_a_run_whose_lease_ran_out_does_not_record_its_failure_over_the_newer_run(
    kb_settings: Settings, embeddings_double: tuple[EmbeddingsDouble, str], engine: AsyncEngine
) -> None:
    double, _ = embeddings_double
    settings = msgspec.structs.replace(kb_settings, ingest_lease_seconds=1)
    async with AsyncTestClient(app=create_app(settings)) as client:
        editor = await signed_in(client, "ed@example.org", Role.EDITOR)
        collection = await new_collection(client, editor)
        document_id = (await add_text(client, editor, collection, "Fenced", "Embedding will fail.")).json()["data"][
            "id"
        ]

    container = build_container(settings)
    double.hang = True
    try:
        async with container() as scope:
            (job,) = await (await scope.get(IngestionJobRepository)).list(None, 10)
        before = len(double.requests)  # the double serves the whole session
        async with container() as scope:
            stale = asyncio.create_task((await scope.get(IngestDocument)).execute(job.id))
            for _ in range(300):  # the first run waits in its embedding call ...
                if len(double.requests) > before:
                    break
                await asyncio.sleep(0.05)
            assert await _jobs(engine) == [("running", 1)]
            async with container() as other:  # ... outlives its lease, and another worker claims the job
                jobs = await other.get(IngestionJobRepository)
                later = datetime.now(UTC) + timedelta(seconds=5)
                assert await jobs.claim(job.id, later, later + timedelta(minutes=5)) is not None
                await (await other.get(UnitOfWork)).commit()
            double.failures.append(500)
            double.hang = False
            result = await asyncio.wait_for(stale, timeout=60)
    finally:
        double.hang = False
        await container.close()

    assert result.outcome is IngestOutcome.SKIPPED  # neither rescheduled nor failed: the newer run decides
    assert await _jobs(engine) == [("running", 2)]
    async with AsyncTestClient(app=create_app(settings)) as client:
        document = (await client.get(f"/api/v1/documents/{document_id}", headers=editor.headers)).json()["data"]
    assert (document["status"], document["error"]) == ("processing", None)
