"""`lore ingest`, `lore jobs`, `lore reindex` against the test stores."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from click.testing import CliRunner

from entrypoints.bootstrap.settings import Settings
from entrypoints.cli.main import cli
from tests.support.office_files import make_docx
from tests.support.pdf import make_pdf


async def _make_collection(database_url: str, name: str, creator_email: str | None = None) -> str:
    # a connection of its own: this sync test runs the CLI, which runs its own event loop
    connection = await asyncpg.connect(database_url)
    try:
        return str(
            await connection.fetchval(
                "INSERT INTO collections (id, name, description, created_by, created_at, updated_at) "
                "VALUES (gen_random_uuid(), $1, '', (SELECT id FROM users WHERE email = $2), now(), now()) "
                "RETURNING id",
                name,
                creator_email,
            )
        )
    finally:
        await connection.close()


def test_ingest_a_folder_then_list_retry_and_reindex(lore: CliRunner, settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "nested").mkdir(parents=True)
    (folder / "a.txt").write_text("Plain text file.")
    (folder / "b.md").write_text("# Markdown file")
    (folder / "nested" / "c.html").write_text("<p>HTML file</p>")
    (folder / "nested" / "d.pdf").write_bytes(make_pdf(["PDF file"]))
    (folder / "nested" / "f.docx").write_bytes(make_docx())
    (folder / "e.exe").write_bytes(b"MZ")
    (folder / "copy.txt").write_text("Plain text file.")
    (folder / ".hidden.txt").write_text("ignored")
    asyncio.run(_make_collection(settings.require_database_url, "Docs"))

    result = lore.invoke(cli, ["ingest", str(folder), "--collection", "Docs"])
    assert result.exit_code == 0, result.output
    lines = {
        line.rsplit(maxsplit=1)[0].strip(): int(line.rsplit(maxsplit=1)[1]) for line in result.stdout.splitlines()[1:]
    }
    assert lines == {"duplicate document": 1, "queued": 5, "skipped (unsupported type)": 1, "total": 7}

    jobs = lore.invoke(cli, ["jobs", "list"])
    assert jobs.exit_code == 0
    job_lines = [line for line in jobs.stdout.splitlines() if line.strip()]
    assert len(job_lines) == 5
    job_id = job_lines[0].split()[0]
    retried = lore.invoke(cli, ["jobs", "retry", job_id])
    assert retried.exit_code == 0, retried.output
    assert "queued as job" in retried.stdout
    failed = lore.invoke(cli, ["jobs", "list", "--status", "failed"])
    assert failed.exit_code == 0
    assert failed.stdout.strip() == ""

    reindexed = lore.invoke(cli, ["reindex", "--collection", "Docs"])
    assert reindexed.exit_code == 0, reindexed.output
    assert "queued 5 documents" in reindexed.stdout

    missing = lore.invoke(cli, ["ingest", str(folder), "--collection", "Nope"])
    assert missing.exit_code == 1
    assert "No collection named 'Nope'" in missing.output
    unknown_job = lore.invoke(cli, ["jobs", "retry", "00000000-0000-0000-0000-000000000001"])
    assert unknown_job.exit_code == 1
    assert "NOT_FOUND" in unknown_job.output


def test_a_name_two_creators_use_needs_the_owner_or_the_id(lore: CliRunner, settings: Settings, tmp_path: Path) -> None:
    for email in ("ann@example.org", "bo@example.org"):
        made = lore.invoke(cli, ["users", "create", "--email", email, "--password-stdin"], input="a long passphrase\n")
        assert made.exit_code == 0, made.output
    anns = asyncio.run(_make_collection(settings.require_database_url, "Shared", "ann@example.org"))
    bos = asyncio.run(_make_collection(settings.require_database_url, "Shared", "bo@example.org"))
    file = tmp_path / "note.txt"
    file.write_text("A note.")

    ambiguous = lore.invoke(cli, ["ingest", str(file), "--collection", "Shared"])
    assert ambiguous.exit_code == 1
    assert "AMBIGUOUS_COLLECTION_NAME: 2 collections are named 'Shared'" in ambiguous.output
    assert f"{anns} (by ann@example.org)" in ambiguous.output
    assert f"{bos} (by bo@example.org)" in ambiguous.output

    by_owner = lore.invoke(cli, ["ingest", str(file), "--collection", "Bo@Example.org/Shared"])
    assert by_owner.exit_code == 0, by_owner.output
    assert "queued" in by_owner.stdout
    by_id = lore.invoke(cli, ["reindex", "--collection", anns])
    assert by_id.exit_code == 0, by_id.output
    assert "queued 0 documents" in by_id.stdout
    reindexed = lore.invoke(cli, ["reindex", "--collection", "bo@example.org/Shared"])
    assert "queued 1 documents" in reindexed.stdout
    nobody = lore.invoke(cli, ["reindex", "--collection", "cy@example.org/Shared"])
    assert nobody.exit_code == 1
    assert "No collection named 'cy@example.org/Shared'" in nobody.output
