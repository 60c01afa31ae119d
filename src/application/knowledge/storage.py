"""The rules around originals in the blob store (its ports are in ports.py): streamed intake under the size
limit, removal once no document references a key, and moving originals out of the database."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from application.knowledge.ports import BlobReferences, BlobStore, StoredBlob
from application.shared.ports import UnitOfWork
from domain.shared.errors import DependencyUnavailableError, PayloadTooLargeError

logger = logging.getLogger(__name__)

SNIFF_BYTES = 1025  # detect_format reads 1024 bytes and whether there is more


@dataclass(frozen=True, slots=True)
class Intake:
    blob: StoredBlob
    head: bytes  # the first SNIFF_BYTES, for the format check


async def _chunks_of(source: bytes | AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    if isinstance(source, bytes):
        yield source
        return
    async for chunk in source:
        yield chunk


class BlobCollector:
    """Removes blobs no document references; a failure is logged and the key stays noted for the next sweep."""

    def __init__(self, references: BlobReferences, blobs: BlobStore, uow: UnitOfWork) -> None:
        self._references = references
        self._blobs = blobs
        self._uow = uow

    async def sweep(self, limit: int = 100) -> int:
        """Collect up to ``limit`` noted keys; answers how many blobs were removed."""
        keys = await self._references.garbage(limit)
        await self._uow.rollback()
        return await self.collect(keys)

    async def collect(self, keys: Sequence[str]) -> int:
        removed = 0
        for key in keys:
            try:
                if await self._references.claim(key):
                    await self._blobs.delete(key)
                    removed += 1
                await self._references.forget(key)
                await self._uow.commit()
            except Exception:  # the note stays: the next sweep tries again
                await self._uow.rollback()
                logger.warning("blob not removed; the next sweep retries", extra={"blob_key": key}, exc_info=True)
        return removed

    async def sweep_orphans(self, written_before: datetime, batch_size: int = 500) -> int:
        """Remove blobs no document references that were written before ``written_before`` (an upload whose
        process died before its commit leaves one, with no note); younger ones may belong to an upload in
        flight. Lists the whole store: an operator's command, not a periodic chore."""
        removed = 0
        batch: list[str] = []
        async for key, written_at in self._blobs.listing():
            if written_at < written_before:
                batch.append(key)
            if len(batch) >= batch_size:
                removed += await self._collect_unreferenced(batch)
                batch = []
        return removed + (await self._collect_unreferenced(batch) if batch else 0)

    async def _collect_unreferenced(self, keys: Sequence[str]) -> int:
        orphans = await self._references.unreferenced(keys)
        await self._references.mark_garbage(orphans)
        await self._uow.commit()
        return await self.collect(orphans)

    async def collect_quietly(self, keys: Sequence[str]) -> None:
        """After a request's commit: never fails it (the worker's sweep finishes what this cannot)."""
        try:
            await self.collect(keys)
        except Exception:
            logger.warning("blob collection failed; the next sweep retries", exc_info=True)


class OriginalIntake:
    """Streams an original into the blob store under the size limit, keeping only its head in memory."""

    def __init__(self, blobs: BlobStore, references: BlobReferences, collector: BlobCollector, uow: UnitOfWork) -> None:
        self._blobs = blobs
        self._references = references
        self._collector = collector
        self._uow = uow

    async def store(self, source: bytes | AsyncIterable[bytes], max_bytes: int) -> Intake:
        head = bytearray()

        async def limited() -> AsyncIterator[bytes]:
            size = 0
            async for chunk in _chunks_of(source):
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLargeError(
                        f"Documents are limited to {max_bytes} bytes.", details={"max_bytes": max_bytes}
                    )
                if len(head) < SNIFF_BYTES:
                    head.extend(chunk[: SNIFF_BYTES - len(head)])
                yield chunk

        blob = await self._blobs.put(limited())
        return Intake(blob, bytes(head))

    async def bind(self, key: str) -> None:
        """In the transaction that references ``key``: no deletion of it may run until commit, and it must still
        be there (a deletion that ran between the upload and this lock removed it)."""
        await self._references.hold(key)
        if not await self._blobs.exists(key):
            raise DependencyUnavailableError("The upload raced a deletion of the same file; send it again.")

    async def discard(self, key: str) -> None:
        """After a failed request: the blob goes unless a document references it (best effort, swept later)."""
        try:
            await self._uow.rollback()
            await self._references.mark_garbage([key])
            await self._uow.commit()
        except Exception:
            logger.warning("could not note an unused blob", extra={"blob_key": key}, exc_info=True)
            return
        await self._collector.collect_quietly([key])


@dataclass(frozen=True, slots=True)
class MovedOriginals:
    moved: int
    bytes: int


class MigrateOriginals:
    """Moves originals still held in the database into the blob store, a batch per transaction; idempotent."""

    def __init__(self, references: BlobReferences, blobs: BlobStore, uow: UnitOfWork) -> None:
        self._references = references
        self._blobs = blobs
        self._uow = uow

    async def execute(self, batch_size: int = 50, max_batches: int | None = None) -> MovedOriginals:
        moved = size = batches = 0
        while max_batches is None or batches < max_batches:
            legacy = await self._references.legacy_sources(batch_size)
            if not legacy:
                await self._uow.rollback()
                break
            for source in legacy:
                blob = await self._blobs.put(_chunks_of(source.data))
                await self._references.hold(blob.key)
                if not await self._blobs.exists(blob.key):  # a sweep removed the same bytes meanwhile
                    await self._blobs.put(_chunks_of(source.data))
                await self._references.move_to_blob(source.document_id, blob.key)
                moved, size = moved + 1, size + blob.size
            await self._uow.commit()
            batches += 1
        return MovedOriginals(moved, size)

    async def back(self, batch_size: int = 50) -> MovedOriginals:
        """Copies every original held only in the blob store into the database again, before a downgrade."""
        moved = size = 0
        while found := await self._references.blob_only_sources(batch_size):
            for document_id, key in found:
                data = await self._blobs.read(key)
                await self._references.copy_back(document_id, data)
                moved, size = moved + 1, size + len(data)
            await self._uow.commit()
        await self._uow.rollback()
        return MovedOriginals(moved, size)
