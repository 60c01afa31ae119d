"""Which blob keys document rows reference, and the advisory locks that order uploads against deletions."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.knowledge.tables import BlobGarbageRow, DocumentRow, DocumentSourceRow
from application.knowledge.ports import LegacySource


def _lock_id(key: str) -> object:
    # a 64-bit lock id per key; two keys sharing one only wait for each other
    return func.hashtextextended(key, 0)


class SqlBlobReferences:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def hold(self, key: str) -> None:
        await self._session.execute(select(func.pg_advisory_xact_lock_shared(_lock_id(key))))

    async def claim(self, key: str) -> bool:
        await self._session.execute(select(func.pg_advisory_xact_lock(_lock_id(key))))
        referenced = await self._session.scalar(select(exists().where(DocumentSourceRow.blob_key == key)))
        return not referenced

    async def mark_garbage(self, keys: Sequence[str]) -> None:
        if keys:
            await self._session.execute(
                insert(BlobGarbageRow).values([{"key": key} for key in keys]).on_conflict_do_nothing()
            )

    async def garbage(self, limit: int) -> list[str]:
        rows = await self._session.scalars(select(BlobGarbageRow.key).order_by(BlobGarbageRow.noted_at).limit(limit))
        return list(rows)

    async def keys_of_collection(self, collection_id: UUID, limit: int) -> list[str]:
        rows = await self._session.scalars(
            select(DocumentSourceRow.blob_key)
            .join(DocumentRow, DocumentRow.id == DocumentSourceRow.document_id)
            .where(DocumentRow.collection_id == collection_id, DocumentSourceRow.blob_key.is_not(None))
            .distinct()
            .limit(limit)
        )
        return [key for key in rows if key is not None]

    async def unreferenced(self, keys: Sequence[str]) -> list[str]:
        referenced = set(
            await self._session.scalars(
                select(DocumentSourceRow.blob_key).where(DocumentSourceRow.blob_key.in_(keys)).distinct()
            )
        )
        return [key for key in keys if key not in referenced]

    async def forget(self, key: str) -> None:
        await self._session.execute(delete(BlobGarbageRow).where(BlobGarbageRow.key == key))

    async def legacy_sources(self, limit: int) -> list[LegacySource]:
        rows = await self._session.execute(
            select(DocumentSourceRow.document_id, DocumentSourceRow.data)
            .where(DocumentSourceRow.data.is_not(None))
            .order_by(DocumentSourceRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [LegacySource(document_id, data) for document_id, data in rows if data is not None]

    async def move_to_blob(self, document_id: UUID, key: str) -> None:
        await self._session.execute(
            update(DocumentSourceRow)
            .where(DocumentSourceRow.document_id == document_id)
            .values(blob_key=key, data=None)
            .execution_options(synchronize_session=False)
        )

    async def blob_only_sources(self, limit: int) -> list[tuple[UUID, str]]:
        rows = await self._session.execute(
            select(DocumentSourceRow.document_id, DocumentSourceRow.blob_key)
            .where(DocumentSourceRow.data.is_(None), DocumentSourceRow.blob_key.is_not(None))
            .order_by(DocumentSourceRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [(document_id, key) for document_id, key in rows if key is not None]

    async def copy_back(self, document_id: UUID, data: bytes) -> None:
        await self._session.execute(
            update(DocumentSourceRow)
            .where(DocumentSourceRow.document_id == document_id)
            .values(data=data)
            .execution_options(synchronize_session=False)
        )
