"""A `lore worker` SIGKILLed while it holds jobs: another worker runs each of them within a bound.

The killed worker holds, at once, an ingestion job it dequeued but never claimed in the database, one
it claimed, a summary it started and an email it was sending. Database locks taken by the test (and
an SMTP server that never answers the first time) hold the worker at those points, so each is hit
for sure rather than by timing. (Killed mid-embedding: tests/e2e/test_ingestion_faults.py.)
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import pytest
from aiosmtpd.controller import Controller
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.identity.roles import Role
from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import add_text, new_collection, wait_for_status
from tests.support.api import Account, Client, signed_in
from tests.support.observe import last_heartbeat
from tests.support.processes import LoreProcess

# long enough that a loaded machine's stalls (seconds: Redis reads timed out beside it) do not let the claimed
# job's lease lapse between its renewals and its write, which sent it back to `enqueued` during set-up
LEASE_SECONDS = 10
HEARTBEAT_SECONDS = 5
SWEEP_SECONDS = 1
# a held job runs again within lease + heartbeat + sweep (+ 1 s per swept job); the rest is margin
# for a loaded machine. Without heartbeats the unclaimed job waited 10 min, the summary 5 min.
RECOVERY_LIMIT_SECONDS = 60
# waits for start-up and set-up, not the bound under test: generous, as a loaded machine starts a process slowly
SETUP_LIMIT_SECONDS = 180
EDITOR = "ed@example.org"


class _HangingFirstMail:
    """An SMTP server that takes the first message to ``to`` and never answers it; later ones are kept."""

    def __init__(self, to: str) -> None:
        self._to = to
        self.held = threading.Event()  # the server runs on a thread of its own
        self.released = threading.Event()
        self.received: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook name
        if self._to in envelope.rcpt_tos and not self.held.is_set():
            self.held.set()
            while not self.released.is_set():  # long after its sender is gone
                await asyncio.sleep(0.1)
            return "451 Never delivered"
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
def hanging_smtp() -> Iterator[tuple[int, _HangingFirstMail]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = _HangingFirstMail(EDITOR)
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, server
    finally:
        server.released.set()
        controller.stop()


def _worker_env(settings: Settings, data_dir: Path, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LORE_ENV"}
    return env | {
        "LORE_ENV": "test",
        "LORE_DATA_DIR": str(data_dir),
        "DATABASE_URL": settings.require_database_url,
        "REDIS_URL": settings.require_redis_url,
        "WORKER_QUEUE": settings.worker_queue,
        "JWT_SECRET": settings.jwt_secret,
        "EMBEDDINGS_BASE_URL": settings.embeddings_base_url or "",
        "EMBEDDINGS_MODEL": settings.embeddings_model,
        "INGEST_LEASE_SECONDS": str(LEASE_SECONDS),
        "JOB_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        "JOB_SWEEP_SECONDS": str(SWEEP_SECONDS),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_STARTTLS": "false",
    }


async def _job_of(engine: AsyncEngine, document_id: str) -> tuple[str, int]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT status, attempts FROM ingestion_jobs WHERE document_id = :id"), {"id": UUID(document_id)}
            )
        ).one()
        return str(row.status), int(row.attempts)


async def _task_status(engine: AsyncEngine, task_id: str) -> str:
    async with engine.connect() as connection:
        status = await connection.scalar(
            text("SELECT status FROM background_tasks WHERE id = :id"), {"id": UUID(task_id)}
        )
        return str(status)


async def _chunk_rows(engine: AsyncEngine, document_id: str) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM document_chunks WHERE document_id = :id"), {"id": UUID(document_id)}
        )
        return int(count or 0)


async def _waiting_on(engine: AsyncEngine) -> set[str]:
    """Which of the test's locks a query is queued behind (the claim; the chunk swap and the chunk read)."""
    async with engine.connect() as connection:
        queries = await connection.scalars(
            text("SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
        )
        found = set()
        for query in queries:
            for table in ("ingestion_jobs", "document_chunks"):
                if table in query:
                    found.add(table)
        return found


async def _hold_at_the_points(connection: AsyncConnection, unclaimed_document: str) -> None:
    # the claim (an UPDATE of the job row) waits: the job is dequeued, active in SAQ, not claimed
    await connection.execute(
        text("SELECT id FROM ingestion_jobs WHERE document_id = :id FOR UPDATE"), {"id": UUID(unclaimed_document)}
    )
    # a claimed job (its source read with the claim, extracted and embedded) waits at its chunk swap, and a
    # started summary at its chunk read
    await connection.execute(text("LOCK TABLE document_chunks IN ACCESS EXCLUSIVE MODE"))


async def _poll(condition: Any, limit_seconds: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + limit_seconds
    while asyncio.get_running_loop().time() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {limit_seconds} s: {what}")


def _log_lines(stderr: str) -> str:
    return "\n".join(line for line in stderr.splitlines() if '"alembic.' not in line)[-8000:]


async def _summary_of(client: Client, editor: Account, document_id: str) -> str:
    response = await client.post(f"/api/v1/documents/{document_id}/summarize", headers=editor.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["data"]["job_id"])


async def test_jobs_held_by_a_killed_worker_run_again_on_another_within_the_bound(
    kb_settings: Settings, engine: AsyncEngine, hanging_smtp: tuple[int, _HangingFirstMail], tmp_path: Path
) -> None:
    settings = msgspec.structs.replace(
        kb_settings, ingest_lease_seconds=LEASE_SECONDS, job_heartbeat_seconds=HEARTBEAT_SECONDS
    )
    smtp_port, smtp = hanging_smtp
    env = _worker_env(settings, tmp_path, smtp_port)

    async with AsyncTestClient(app=create_app(settings, run_worker=True)) as client:
        editor = await signed_in(client, EDITOR, Role.EDITOR)
        collection = await new_collection(client, editor)
        summarized = (await add_text(client, editor, collection, "Handbook", "Leave is booked a week ahead.")).json()
        await wait_for_status(client, editor, summarized["data"]["id"], timeout=SETUP_LIMIT_SECONDS)

    # the API alone: everything below waits in the queue for the worker that will die
    async with AsyncTestClient(app=create_app(settings)) as client:
        unclaimed = (await add_text(client, editor, collection, "One", "Dequeued and never claimed.")).json()
        claimed = (await add_text(client, editor, collection, "Two", "Claimed, then orphaned.")).json()
        unclaimed_id, claimed_id = unclaimed["data"]["id"], claimed["data"]["id"]
        summary_id = await _summary_of(client, editor, summarized["data"]["id"])
        forgot = await client.post("/api/v1/auth/password/forgot", json={"email": EDITOR})
        assert forgot.status_code == 202, forgot.text
    assert await _job_of(engine, unclaimed_id) == await _job_of(engine, claimed_id) == ("enqueued", 0)

    async with engine.connect() as locks:
        await locks.begin()
        await _hold_at_the_points(locks, unclaimed_id)
        doomed = LoreProcess(env, "worker")
        try:
            held: dict[str, Any] = {}  # the last look, for the failure message

            async def all_held() -> bool:
                held["mail"], held["waiting"] = smtp.held.is_set(), await _waiting_on(engine)
                held["claimed"], held["summary"] = (
                    await _job_of(engine, claimed_id),
                    await _task_status(engine, summary_id),
                )
                return bool(
                    held["mail"]
                    and held["waiting"] == {"ingestion_jobs", "document_chunks"}
                    # (its lease is renewed while it waits, so the relay does not send it again)
                    and held["claimed"][0] == "running"
                    and held["summary"] == "running"
                )

            try:
                await _poll(all_held, SETUP_LIMIT_SECONDS, "the worker holds all four jobs")
            except AssertionError as exc:
                raise AssertionError(f"{exc}: {held}; the worker logged:\n{_log_lines(doomed.stderr)}") from None
            assert await _job_of(engine, unclaimed_id) == ("enqueued", 0)  # dequeued, never claimed
        finally:
            doomed.stop(signal.SIGKILL)
        killed_at = datetime.now(UTC)
        await locks.rollback()

    survivor = LoreProcess(env, "worker")
    container = build_container(settings)
    try:
        redis = await container.get(Redis)

        async def survivor_started() -> bool:
            seen = await last_heartbeat(redis)
            return seen is not None and seen > killed_at

        await _poll(survivor_started, SETUP_LIMIT_SECONDS, "the second worker starts")

        seen: dict[str, Any] = {}  # the last look, for the failure message

        async def all_done() -> bool:
            seen["unclaimed"], seen["claimed"] = await _job_of(engine, unclaimed_id), await _job_of(engine, claimed_id)
            seen["summary"] = await _task_status(engine, summary_id)
            seen["mail"] = [m.rcpt_tos for m in smtp.received]
            return (
                seen["unclaimed"] == ("done", 1)
                and seen["claimed"][0] == "done"
                and seen["summary"] == "done"
                and any(EDITOR in message.rcpt_tos for message in smtp.received)
            )

        try:
            await _poll(all_done, RECOVERY_LIMIT_SECONDS, "every held job done by the second worker")
        except AssertionError as exc:
            survivor.stop(signal.SIGTERM)
            logs = f"the first worker logged:\n{_log_lines(doomed.stderr)}\nthe second:\n{_log_lines(survivor.stderr)}"
            raise AssertionError(f"{exc}: {seen}; {logs}") from None
        async with AsyncTestClient(app=create_app(settings)) as client:
            for document_id in (unclaimed_id, claimed_id):
                document = await wait_for_status(client, editor, document_id, timeout=1)
                assert await _chunk_rows(engine, document_id) == document["chunk_count"] == 1  # no duplicates
        assert [m.rcpt_tos for m in smtp.received] == [[EDITOR]]  # delivered once, the held one never was
    finally:
        survivor.stop(signal.SIGTERM)
        await container.close()
