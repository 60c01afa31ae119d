"""The migrations build exactly the schema the SQLAlchemy models describe.

A column added to a model without a revision (or a revision that drifts from its model) shows up
here as an Alembic autogenerate difference, before it shows up as a failing query in production.
"""

from __future__ import annotations

import asyncio
import re
import warnings
from typing import Any

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from adapters.persistence import migrations
from adapters.persistence import tables as _all_tables  # noqa: F401 - every table on the metadata
from adapters.persistence.base import metadata
from adapters.persistence.engine import to_asyncpg_url
from adapters.persistence.knowledge.tables import INDEXED_DIMENSIONS
from tests.support.stores import Stores

# Alembic cannot compare an index expression that carries an operator class, as the pgvector HNSW
# indexes do ("(embedding::vector(N)) vector_cosine_ops"): it warns and compares only their names.
# The test below checks those definitions against the database itself.
HNSW_SKIPPED = re.compile(r"in index 'ix_document_chunks_hnsw_\d+' detected to include an operator clause")


def _compare(connection: Connection) -> tuple[list[Any], list[str]]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True, "target_metadata": metadata}
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        differences = list(compare_metadata(context, metadata))
    # a ResourceWarning is an earlier test's garbage (an unclosed transport) collected meanwhile, not Alembic's
    return differences, [str(w.message) for w in caught if not issubclass(w.category, ResourceWarning)]


async def _differences(url: str) -> tuple[list[Any], list[str]]:
    engine = create_async_engine(to_asyncpg_url(url), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_compare)
    finally:
        await engine.dispose()


async def _index_definitions(url: str) -> dict[str, str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'document_chunks'")
        return {row["indexname"]: row["indexdef"] for row in rows}
    finally:
        await conn.close()


def _migrated(stores: Stores) -> str:
    asyncio.run(stores.postgres.ensure_database("lore_schema"))
    url = stores.postgres.url("lore_schema")
    migrations.upgrade(url)
    return url


def test_autogenerate_finds_nothing_to_migrate_at_head(stores: Stores) -> None:
    differences, skipped = asyncio.run(_differences(_migrated(stores)))
    assert differences == []
    unexplained = [message for message in skipped if not HNSW_SKIPPED.search(message)]
    assert unexplained == []


def test_the_hnsw_indexes_alembic_cannot_compare_are_as_the_model_declares(stores: Stores) -> None:
    definitions = asyncio.run(_index_definitions(_migrated(stores)))
    for dims in INDEXED_DIMENSIONS:
        definition = definitions[f"ix_document_chunks_hnsw_{dims}"]
        assert "USING hnsw" in definition
        assert f"((embedding)::vector({dims})) vector_cosine_ops" in definition
        assert f"(embedding_dims = {dims})" in definition
