"""Every revision goes up and down cleanly on a scratch database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from click.testing import CliRunner
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from adapters.persistence import migrations
from adapters.persistence.identity.audit_chain import SqlAuditChain
from application.identity.ports import ChainReport
from entrypoints.cli.main import cli
from tests.support.observe import head_revision
from tests.support.stores import Stores


async def _extensions(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT extname FROM pg_extension")
        return {row["extname"] for row in rows}
    finally:
        await conn.close()


async def _version(url: str) -> str | None:
    conn = await asyncpg.connect(url)
    try:
        exists = await conn.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL")
        if not exists:
            return None
        version = await conn.fetchval("SELECT version_num FROM alembic_version")
        return None if version is None else str(version)
    finally:
        await conn.close()


def test_upgrade_downgrade_upgrade(stores: Stores) -> None:
    asyncio.run(stores.postgres.ensure_database("lore_migrations"))
    url = stores.postgres.url("lore_migrations")

    migrations.upgrade(url)
    assert "vector" in asyncio.run(_extensions(url))
    assert asyncio.run(_version(url)) == head_revision()

    migrations.downgrade(url, "base")
    assert "vector" not in asyncio.run(_extensions(url))
    assert asyncio.run(_version(url)) is None

    migrations.upgrade(url)
    assert asyncio.run(_version(url)) == head_revision()


async def _execute(url: str, *statements: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
        return [row["name"] for row in await conn.fetch("SELECT name FROM collections ORDER BY created_at")]
    finally:
        await conn.close()


def test_names_shared_by_creators_survive_a_downgrade(stores: Stores) -> None:
    asyncio.run(stores.postgres.ensure_database("lore_migrations_names"))
    url = stores.postgres.url("lore_migrations_names")
    migrations.upgrade(url)
    # two creators' "Handbook" (NULL creators, as after their accounts were deleted, may share a name)
    insert = (
        "INSERT INTO collections (id, name, description, created_at, updated_at) "
        "VALUES (gen_random_uuid(), 'Handbook', '', now() + interval '{} second', now())"
    )
    assert asyncio.run(_execute(url, insert.format(0), insert.format(1))) == ["Handbook", "Handbook"]

    migrations.downgrade(url, "0005_background_tasks")
    oldest, renamed = asyncio.run(_execute(url))
    assert oldest == "Handbook"
    assert renamed.startswith("Handbook (")
    assert renamed.endswith(")")
    migrations.upgrade(url)
    assert asyncio.run(_version(url)) == head_revision()


async def _audit_rows_then_verify(url: str, *statements: str) -> tuple[list[tuple[int, str]], ChainReport]:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
        rows = await conn.fetch("SELECT seq, action FROM audit_events ORDER BY seq")
    finally:
        await conn.close()
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        async with AsyncSession(engine) as session:
            report = await SqlAuditChain(session).verify()
    finally:
        await engine.dispose()
    return [(row["seq"], row["action"]) for row in rows], report


def test_existing_audit_rows_are_chained_by_the_upgrade(stores: Stores) -> None:
    asyncio.run(stores.postgres.ensure_database("lore_migrations_audit"))
    url = stores.postgres.url("lore_migrations_audit")
    migrations.upgrade(url, "0006_collection_names_per_owner")
    insert = (
        "INSERT INTO audit_events (id, action, occurred_at, subject_id, ip_address, details) VALUES "
        "(gen_random_uuid(), '{}', now() + interval '{} second', gen_random_uuid(), '192.0.2.1', '{}')"
    )
    asyncio.run(
        _execute(
            url,
            insert.format("auth.login_failed", 2, '{"reason": "wrong_password", "n": 1.5}'),
            insert.format("user.registered", 0, "{}"),
            insert.format("auth.login_succeeded", 1, '{"session_id": "x"}'),
        )
    )

    migrations.upgrade(url)
    links, report = asyncio.run(_audit_rows_then_verify(url))
    assert links == [(1, "user.registered"), (2, "auth.login_succeeded"), (3, "auth.login_failed")]
    assert report.intact
    assert report.checked == 3

    migrations.downgrade(url, "0006_collection_names_per_owner")
    migrations.upgrade(url)
    _, tampered = asyncio.run(_audit_rows_then_verify(url, "UPDATE audit_events SET details = '{}' WHERE seq = 3"))
    assert tampered.broken is not None
    assert (tampered.broken.seq, tampered.broken.reason) == (3, "edited")


async def _columns(url: str, table: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT column_name FROM information_schema.columns WHERE table_name = $1", table)
        return {row["column_name"] for row in rows}
    finally:
        await conn.close()


def test_job_trace_context_column_comes_and_goes(stores: Stores) -> None:
    asyncio.run(stores.postgres.ensure_database("lore_migrations_trace"))
    url = stores.postgres.url("lore_migrations_trace")
    migrations.upgrade(url, "0007_audit_chain")
    assert "traceparent" not in asyncio.run(_columns(url, "ingestion_jobs"))

    migrations.upgrade(url, "0008_job_trace_context")
    assert "traceparent" in asyncio.run(_columns(url, "ingestion_jobs"))

    migrations.downgrade(url, "0007_audit_chain")
    assert "traceparent" not in asyncio.run(_columns(url, "ingestion_jobs"))
    migrations.upgrade(url)
    assert asyncio.run(_version(url)) == head_revision()


def test_blob_originals_keep_old_rows_readable_and_refuse_a_lossy_downgrade(stores: Stores, tmp_path: Path) -> None:
    asyncio.run(stores.postgres.ensure_database("lore_migrations_blobs"))
    url = stores.postgres.url("lore_migrations_blobs")
    migrations.upgrade(url, "0009_structured_chunks")
    seed = (
        "INSERT INTO collections (id, name, description, created_at, updated_at)"
        " VALUES ('00000000-0000-0000-0000-000000000001', 'C', '', now(), now())",
        "INSERT INTO documents (id, collection_id, title, content_type, content_hash, size_bytes, status, metadata,"
        " chunk_count, created_at, updated_at) VALUES ('00000000-0000-0000-0000-000000000002',"
        " '00000000-0000-0000-0000-000000000001', 'T', 'text/plain', 'h', 3, 'ready', '{}', 0, now(), now())",
        "INSERT INTO document_sources (id, document_id, data) VALUES"
        " ('00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000002', 'abc')",
    )
    asyncio.run(_execute(url, *seed))
    migrations.upgrade(url, "0012_blob_originals")
    assert {"blob_key", "filename"} <= asyncio.run(_columns(url, "document_sources"))

    # the bytes only in the blob store: a downgrade would lose them, so it refuses
    asyncio.run(_execute(url, "UPDATE document_sources SET data = NULL, blob_key = 'sha256/x'"))
    with pytest.raises(RuntimeError, match="migrate-originals --back"):
        migrations.downgrade(url, "0009_structured_chunks")
    env = {"LORE_ENV": "test", "LORE_DATA_DIR": str(tmp_path), "DATABASE_URL": url, "REDIS_URL": stores.redis.url}
    refused = CliRunner(env=env).invoke(cli, ["migrate", "--down", "0009_structured_chunks"])
    assert refused.exit_code == 1
    assert refused.output.strip().splitlines()[-1] == (  # one line after the log lines, no traceback
        "Error: 1 originals are only in the blob store; run `lore storage migrate-originals --back` first"
    )
    assert "Traceback" not in refused.output
    # a delete notes the key for the sweep
    asyncio.run(_execute(url, "DELETE FROM documents"))
    assert asyncio.run(_fetch(url, "SELECT key FROM blob_garbage")) == ["sha256/x"]

    migrations.downgrade(url, "0009_structured_chunks")
    assert "blob_key" not in asyncio.run(_columns(url, "document_sources"))
    migrations.upgrade(url)
    assert asyncio.run(_version(url)) == head_revision()


async def _fetch(url: str, statement: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return [str(row[0]) for row in await conn.fetch(statement)]
    finally:
        await conn.close()
