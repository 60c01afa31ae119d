"""Originals in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2...) through obstore's async client.

An upload is spooled to a local temporary file while it is hashed (its key is its sha256), then sent only if
the bucket does not hold those bytes yet; the put itself is atomic (multipart for large files).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import obstore
from obstore.exceptions import BaseError, NotFoundError
from obstore.store import S3Store

from adapters.outages import unavailable
from adapters.storage.spool import checked_key, spool
from application.knowledge.ports import KEY_PREFIX, BlobMissingError, StoredBlob

READ_CHUNK = 1024 * 1024


@contextmanager
def _store_errors(key: str) -> Iterator[None]:
    try:
        yield
    except (NotFoundError, FileNotFoundError):  # obstore raises the builtin for a 404
        raise BlobMissingError(key) from None
    except BaseError as exc:  # unreachable, refused credentials, a throttled bucket: worth a retry later
        raise unavailable("storage") from exc


class S3BlobStore:
    def __init__(self, store: S3Store, spool_dir: Path) -> None:
        self._store = store
        self._spool_dir = spool_dir

    async def put(self, chunks: AsyncIterable[bytes]) -> StoredBlob:
        spooled = await spool(chunks, self._spool_dir)
        try:
            with _store_errors(spooled.key):
                if not await self.exists(spooled.key):
                    await obstore.put_async(self._store, spooled.key, spooled.path)
        finally:
            await asyncio.to_thread(spooled.path.unlink, missing_ok=True)
        return StoredBlob(spooled.key, spooled.sha256, spooled.size)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        with _store_errors(checked_key(key)):
            result = await obstore.get_async(self._store, key)
            async for chunk in result.stream(min_chunk_size=READ_CHUNK):
                yield bytes(chunk)

    async def read(self, key: str) -> bytes:
        with _store_errors(checked_key(key)):
            result = await obstore.get_async(self._store, key)
            return bytes(await result.bytes_async())

    async def exists(self, key: str) -> bool:
        try:
            with _store_errors(checked_key(key)):
                await obstore.head_async(self._store, key)
        except BlobMissingError:
            return False
        return True

    async def listing(self) -> AsyncIterator[tuple[str, datetime]]:
        with _store_errors("listing"):
            async for batch in obstore.list(self._store, KEY_PREFIX.rstrip("/"), chunk_size=1000):
                for meta in batch:
                    yield meta["path"], meta["last_modified"]

    async def delete(self, key: str) -> None:
        with _store_errors(checked_key(key)):
            await obstore.delete_async(self._store, key)
