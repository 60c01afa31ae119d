"""The audit log's hash chain: concurrent writers keep it whole, and `lore audit verify` finds an edited or a
deleted row and says which link broke."""

from __future__ import annotations

import asyncio
from uuid import UUID

from click.testing import CliRunner, Result
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from adapters.persistence.identity.audit_chain import chain_fields, link_hash
from adapters.persistence.identity.tables import AuditEventRow
from domain.identity.roles import Role
from entrypoints.cli.main import cli
from tests.support.api import Client, signed_in


async def _verify(runner: CliRunner) -> Result:
    # the command runs its own event loop, so it goes to a thread
    return await asyncio.to_thread(runner.invoke, cli, ["audit", "verify"])


async def _links(engine: AsyncEngine) -> list[tuple[int, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT seq, id::text FROM audit_events ORDER BY seq"))
        return [(row[0], row[1]) for row in rows]


async def _execute(engine: AsyncEngine, statement: str, **params: object) -> None:
    async with engine.begin() as connection:
        await connection.execute(text(statement), params)


async def _concurrent_writes(client: Client, count: int) -> None:
    editor = await signed_in(client, "ed@example.org", Role.EDITOR)
    responses = await asyncio.gather(
        *(client.post("/api/v1/collections", json={"name": f"C{n}"}, headers=editor.headers) for n in range(count))
    )
    assert [r.status_code for r in responses] == [201] * count


async def test_parallel_writers_append_one_unbroken_chain(client: Client, lore: CliRunner, engine: AsyncEngine) -> None:
    await _concurrent_writes(client, 30)

    links = await _links(engine)
    assert [seq for seq, _ in links] == list(range(1, len(links) + 1))
    assert len(links) >= 31  # the sign-in and the 30 collections
    result = await _verify(lore)
    assert result.exit_code == 0, result.output
    assert f"audit chain intact: {len(links)} links" in result.output


async def test_verify_reports_an_edited_row(client: Client, lore: CliRunner, engine: AsyncEngine) -> None:
    await _concurrent_writes(client, 5)
    seq, event_id = (await _links(engine))[3]
    await _execute(
        engine, "UPDATE audit_events SET ip_address = '198.51.100.9' WHERE id = CAST(:id AS uuid)", id=event_id
    )

    result = await _verify(lore)
    assert result.exit_code == 1
    assert f"audit chain BROKEN at link {seq} (edited)" in result.output
    assert event_id in result.output
    assert f"({seq - 1} links before it are intact)" in result.output


async def test_verify_reports_a_deleted_row(client: Client, lore: CliRunner, engine: AsyncEngine) -> None:
    await _concurrent_writes(client, 5)
    seq, event_id = (await _links(engine))[2]
    await _execute(engine, "DELETE FROM audit_events WHERE id = CAST(:id AS uuid)", id=event_id)

    result = await _verify(lore)
    assert result.exit_code == 1
    assert f"audit chain BROKEN at link {seq} (missing)" in result.output


async def test_verify_reports_deleted_newest_rows(client: Client, lore: CliRunner, engine: AsyncEngine) -> None:
    await _concurrent_writes(client, 5)
    last = (await _links(engine))[-1][0]
    await _execute(engine, "DELETE FROM audit_events WHERE seq >= :seq", seq=last - 1)

    result = await _verify(lore)
    assert result.exit_code == 1
    assert f"audit chain BROKEN at link {last - 1} (truncated)" in result.output


async def test_verify_reports_an_edit_whose_own_hash_was_recomputed(
    client: Client, lore: CliRunner, engine: AsyncEngine
) -> None:
    """Rehashing the edited row is not enough: the next link still names its old hash."""
    await _concurrent_writes(client, 5)
    seq, event_id = (await _links(engine))[1]
    async with AsyncSession(engine) as session:
        row = await session.get_one(AuditEventRow, UUID(event_id))
        row.ip_address = "198.51.100.9"
        row.row_hash = link_hash(chain_fields(row), row.prev_hash)
        await session.commit()

    result = await _verify(lore)
    assert result.exit_code == 1
    assert f"audit chain BROKEN at link {seq + 1} (relinked)" in result.output


async def test_a_deleted_chain_head_is_reported_and_the_next_write_continues_the_chain(
    client: Client, lore: CliRunner, engine: AsyncEngine
) -> None:
    editor = await signed_in(client, "ed@example.org", Role.EDITOR)
    await _execute(engine, "DELETE FROM audit_chain_head")

    result = await _verify(lore)
    assert result.exit_code == 1
    assert "(truncated)" in result.output

    # audited writes still succeed: the head is re-seeded from the newest row, not from zero
    created = await client.post("/api/v1/collections", json={"name": "After"}, headers=editor.headers)
    assert created.status_code == 201
    links = await _links(engine)
    assert [seq for seq, _ in links] == list(range(1, len(links) + 1))
    result = await _verify(lore)
    assert result.exit_code == 0, result.output
