"""SQLAlchemy chunk repository (search lives in search_index.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from adapters.persistence.knowledge.tables import ChunkRow
from adapters.persistence.paging import fetch_page
from application.knowledge.ports import NewChunk
from application.shared.ports import Page, PageRequest
from domain.knowledge.models import Chunk, Document

# One statement per document: the old chunks deleted and the new ones inserted from one array per column
# (unnest), so a document's chunk swap is one round trip whatever its size. Both run on the statement's
# snapshot, so the DELETE never sees the rows the INSERT adds. The vectors travel as one flat real[]
# (encoded in binary, in C, by asyncpg) sliced per chunk and cast to vector by Postgres: pgvector's own bind
# formats each float as text in Python, the costliest step of writing chunks. The DELETE runs after the
# INSERT (an unreferenced data-modifying CTE), which only works while no unique index covers the chunks'
# (document_id, ordinal): ix_document_chunks_document_ordinal must stay non-unique.
# (A worker's finished runs use the same swap for many documents at once: ingestion_writes.py.)
_SWAP = text(
    """
    WITH gone AS (DELETE FROM document_chunks WHERE document_id = :document_id)
    INSERT INTO document_chunks (
        id, document_id, collection_id, ordinal, text, start_offset, end_offset, token_count, heading_path, page,
        embedding, embedding_dims, embedding_model
    )
    SELECT
        c.id, :document_id, :collection_id, c.ordinal, c.text, c.start_offset, c.end_offset, c.token_count,
        c.heading_path, c.page,
        CASE WHEN CAST(:dims AS integer) IS NULL THEN NULL ELSE CAST(
            (CAST(:embeddings AS real[]))[(c.n - 1) * CAST(:dims AS integer) + 1 : c.n * CAST(:dims AS integer)]
            AS vector
        ) END,
        CAST(:dims AS integer),
        CAST(:model AS varchar)
    FROM unnest(
        CAST(:ids AS uuid[]), CAST(:ordinals AS integer[]), CAST(:texts AS text[]), CAST(:starts AS integer[]),
        CAST(:ends AS integer[]), CAST(:token_counts AS integer[]), CAST(:heading_paths AS text[]),
        CAST(:pages AS integer[])
    ) WITH ORDINALITY AS c(id, ordinal, text, start_offset, end_offset, token_count, heading_path, page, n)
    """
)


def swap_values(document: Document, chunks: Sequence[NewChunk], embedding_model: str | None) -> dict[str, Any]:
    embedded = [chunk.embedding for chunk in chunks if chunk.embedding is not None]
    # one embedder embeds a document: every chunk has a vector of one size, or none has. Anything else would
    # drop or misalign vectors silently in the flat array the statement slices, so it is a bug, raised.
    sizes = {len(vector) for vector in embedded}
    if embedded and (len(embedded) != len(chunks) or len(sizes) != 1 or 0 in sizes):
        raise ValueError(f"chunk vectors must all be present with one non-zero size, got sizes {sorted(sizes)}")
    dims = len(embedded[0]) if embedded else None
    return {
        "document_id": document.id,
        "collection_id": document.collection_id,
        "dims": dims,
        "embeddings": [x for vector in embedded for x in vector] if dims is not None else None,
        "model": embedding_model if dims is not None else None,
        "ids": [uuid7() for _ in chunks],
        "ordinals": [chunk.ordinal for chunk in chunks],
        "texts": [chunk.text for chunk in chunks],
        "starts": [chunk.start for chunk in chunks],
        "ends": [chunk.end for chunk in chunks],
        "token_counts": [chunk.token_count for chunk in chunks],
        "heading_paths": [chunk.heading_path for chunk in chunks],
        "pages": [chunk.page for chunk in chunks],
    }


class SqlChunkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def replace(self, document: Document, chunks: Sequence[NewChunk], embedding_model: str | None) -> None:
        await self._session.execute(_SWAP, swap_values(document, chunks, embedding_model))

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
