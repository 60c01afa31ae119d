"""`lore storage migrate-originals` (and `--back`) and `lore storage sweep` against the test stores."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import asyncpg
from click.testing import CliRunner

from entrypoints.bootstrap.settings import Settings
from entrypoints.cli.main import cli
from tests.e2e.test_knowledge_cli import _make_collection

FILES = {"a.txt": b"An original from before blob storage.", "b.md": b"# Another one\n\nKept in Postgres."}


async def _sql(database_url: str, statement: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database_url)
    try:
        return list(await connection.fetch(statement, *args))
    finally:
        await connection.close()


def _blob(store: Path, data: bytes) -> Path:
    digest = hashlib.sha256(data).hexdigest()
    return store / "sha256" / digest[:2] / digest


def test_originals_move_out_of_postgres_once_and_back(lore: CliRunner, settings: Settings, tmp_path: Path) -> None:
    store = tmp_path / "blobs"
    env = {"STORAGE_URL": store.as_uri()}
    url = settings.require_database_url
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, data in FILES.items():
        (folder / name).write_bytes(data)
    asyncio.run(_make_collection(url, "Docs"))
    assert lore.invoke(cli, ["ingest", str(folder), "--collection", "Docs"], env=env).exit_code == 0
    # as the rows were before blob storage: the bytes in Postgres, no key, and no blob
    for data in FILES.values():
        asyncio.run(
            _sql(
                url,
                "UPDATE document_sources s SET data = $1, blob_key = NULL FROM documents d"
                " WHERE d.id = s.document_id AND d.content_hash = $2",
                data,
                hashlib.sha256(data).hexdigest(),
            )
        )
        _blob(store, data).unlink()
    asyncio.run(_sql(url, "DELETE FROM blob_garbage"))

    moved = lore.invoke(cli, ["storage", "migrate-originals", "--batch-size", "1"], env=env)
    assert moved.exit_code == 0, moved.output
    assert moved.stdout.startswith(f"2 originals ({sum(map(len, FILES.values()))} bytes) copied to the blob store")
    rows = asyncio.run(_sql(url, "SELECT blob_key, data, filename FROM document_sources ORDER BY filename"))
    assert [(r["blob_key"], r["data"], r["filename"]) for r in rows] == [
        (f"sha256/{hashlib.sha256(data).hexdigest()}", None, name) for name, data in FILES.items()
    ]
    assert all(_blob(store, data).read_bytes() == data for data in FILES.values())

    again = lore.invoke(cli, ["storage", "migrate-originals"], env=env)
    assert again.stdout.startswith("0 originals (0 bytes)"), again.output  # idempotent

    back = lore.invoke(cli, ["storage", "migrate-originals", "--back"], env=env)
    assert back.stdout.startswith("2 originals"), back.output
    rows = asyncio.run(_sql(url, "SELECT data FROM document_sources ORDER BY filename"))
    assert [r["data"] for r in rows] == list(FILES.values())


def test_the_sweep_removes_noted_blobs_nothing_references(lore: CliRunner, settings: Settings, tmp_path: Path) -> None:
    store = tmp_path / "blobs"
    env = {"STORAGE_URL": store.as_uri()}
    (tmp_path / "note.txt").write_bytes(b"A note.")
    asyncio.run(_make_collection(settings.require_database_url, "Docs"))
    assert lore.invoke(cli, ["ingest", str(tmp_path / "note.txt"), "--collection", "Docs"], env=env).exit_code == 0
    blob = _blob(store, b"A note.")
    # a delete whose blob removal never ran (the process died after commit): the trigger noted the key
    asyncio.run(_sql(settings.require_database_url, "DELETE FROM documents"))
    assert blob.is_file()
    swept = lore.invoke(cli, ["storage", "sweep"], env=env)
    assert swept.stdout.strip() == "1 blobs removed", swept.output
    assert not blob.exists()
    assert lore.invoke(cli, ["storage", "sweep"], env=env).stdout.strip() == "0 blobs removed"

    # a blob with no note and no reference: an upload whose process died before its commit
    orphan = _blob(store, b"An orphan.")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"An orphan.")
    assert lore.invoke(cli, ["storage", "sweep", "--orphans"], env=env).stdout.strip() == "0 blobs removed"
    swept = lore.invoke(cli, ["storage", "sweep", "--orphans", "--older-than-hours", "0"], env=env)
    assert swept.stdout.strip() == "1 blobs removed", swept.output
    assert not orphan.exists()


def test_storage_url_is_checked(lore: CliRunner) -> None:
    result = lore.invoke(cli, ["storage", "sweep"], env={"STORAGE_URL": "ftp://x/y"})
    assert result.exit_code != 0
    assert "STORAGE_URL: expected file:///absolute/path or s3://bucket/prefix" in result.output
