"""SQLAlchemy chunk repository (search lives in search_index.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from pgvector.sqlalchemy import Vector
from sqlalchemy import REAL, Table, bindparam, cast, delete, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.knowledge.tables import ChunkRow
from adapters.persistence.paging import fetch_page
from application.knowledge.ports import NewChunk
from application.shared.ports import Page, PageRequest
from domain.knowledge.models import Chunk, Document

_CHUNKS: Table = ChunkRow.__table__  # type: ignore[assignment]  # a Table, typed as FromClause
_COLUMNS = (
    "document_id",
    "collection_id",
    "ordinal",
    "text",
    "start_offset",
    "end_offset",
    "token_count",
    "heading_path",
    "page",
)
# One statement per document (executemany, sent as multi-row INSERTs). The vector goes as real[], which
# asyncpg encodes in binary in C, cast to vector by Postgres: pgvector's own bind formats each float as text
# in Python, the costliest step of writing chunks.
_INSERT = insert(_CHUNKS).values(
    {name: bindparam(name) for name in (*_COLUMNS, "embedding_dims", "embedding_model")}
    | {"embedding": cast(bindparam("embedding", type_=ARRAY(REAL)), Vector())}
)


def _row(document: Document, chunk: NewChunk, embedding_model: str | None) -> dict[str, Any]:
    embedded = chunk.embedding is not None
    return {
        "document_id": document.id,
        "collection_id": document.collection_id,
        "ordinal": chunk.ordinal,
        "text": chunk.text,
        "start_offset": chunk.start,
        "end_offset": chunk.end,
        "token_count": chunk.token_count,
        "heading_path": chunk.heading_path,
        "page": chunk.page,
        "embedding": list(chunk.embedding) if chunk.embedding is not None else None,
        "embedding_dims": len(chunk.embedding) if chunk.embedding is not None else None,
        "embedding_model": embedding_model if embedded else None,
    }


class SqlChunkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def replace(self, document: Document, chunks: Sequence[NewChunk], embedding_model: str | None) -> None:
        await self._session.execute(
            delete(ChunkRow).where(ChunkRow.document_id == document.id).execution_options(synchronize_session=False)
        )
        if chunks:
            await self._session.execute(_INSERT, [_row(document, chunk, embedding_model) for chunk in chunks])

    async def list(self, document_id: UUID, page: PageRequest) -> Page[Chunk]:
        statement = select(ChunkRow).where(ChunkRow.document_id == document_id)
        rows, total = await fetch_page(
            self._session, statement, page, [ChunkRow.ordinal.desc() if page.sort.startswith("-") else ChunkRow.ordinal]
        )
        chunks = [
            Chunk(
                r.id,
                r.document_id,
                r.collection_id,
                r.ordinal,
                r.text,
                r.start_offset,
                r.end_offset,
                r.token_count,
                r.heading_path,
                r.page,
            )
            for r in rows
        ]
        return Page(chunks, total, page.limit, page.offset)
