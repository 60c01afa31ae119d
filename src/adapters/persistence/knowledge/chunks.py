"""SQLAlchemy chunk repository (search lives in search_index.py)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.knowledge.tables import (
    ChunkRow,
)
from adapters.persistence.paging import fetch_page
from application.knowledge.ports import (
    NewChunk,
)
from application.shared.ports import Page, PageRequest
from domain.knowledge.models import (
    Chunk,
    Document,
)


class SqlChunkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def replace(self, document: Document, chunks: Sequence[NewChunk], embedding_model: str | None) -> None:
        await self._session.execute(
            delete(ChunkRow).where(ChunkRow.document_id == document.id).execution_options(synchronize_session=False)
        )
        if not chunks:
            return
        await self._session.execute(
            insert(ChunkRow),
            [
                {
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
                    "embedding_model": embedding_model if chunk.embedding is not None else None,
                }
                for chunk in chunks
            ],
        )

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
