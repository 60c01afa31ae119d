"""Originals as files under a folder (the data dir by default): ``sha256/ab/<hex>``, written atomically."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from adapters.outages import unavailable
from adapters.storage.spool import Spooled, checked_key, spool
from application.knowledge.ports import BlobMissingError, StoredBlob, blob_key

READ_CHUNK = 1024 * 1024


@contextmanager
def _store_errors(key: str) -> Iterator[None]:
    try:
        yield
    except FileNotFoundError:
        raise BlobMissingError(key) from None
    except OSError as exc:  # a full or unmounted disk: the request may be retried
        raise unavailable("storage") from exc


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class FilesystemBlobStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, key: str) -> Path:
        hex_digest = checked_key(key).rpartition("/")[2]
        return self._root / "sha256" / hex_digest[:2] / hex_digest

    def _commit(self, spooled: Spooled) -> None:
        final = self._path(spooled.key)
        if final.is_file():  # the same bytes are there already: one copy is kept
            spooled.path.unlink()
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(spooled.path, final)  # atomic: readers see the whole file or none
        _fsync_directory(final.parent)

    async def put(self, chunks: AsyncIterable[bytes]) -> StoredBlob:
        with _store_errors("upload"):
            # the temporary file sits in the store's own folder, so the rename never crosses file systems
            spooled = await spool(chunks, self._root / "tmp")
            try:
                await asyncio.to_thread(self._commit, spooled)
            finally:
                spooled.path.unlink(missing_ok=True)
        return StoredBlob(spooled.key, spooled.sha256, spooled.size)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        with _store_errors(key):
            file = await asyncio.to_thread(path.open, "rb")
        try:
            while chunk := await asyncio.to_thread(file.read, READ_CHUNK):
                yield chunk
        finally:
            file.close()

    async def read(self, key: str) -> bytes:
        path = self._path(key)
        with _store_errors(key):
            return await asyncio.to_thread(path.read_bytes)

    async def exists(self, key: str) -> bool:
        path = self._path(key)
        return await asyncio.to_thread(path.is_file)

    def _written(self) -> list[tuple[str, datetime]]:
        return [
            (blob_key(path.name), datetime.fromtimestamp(path.stat().st_mtime, UTC))
            for path in (self._root / "sha256").glob("*/*")
            if path.is_file()
        ]

    async def listing(self) -> AsyncIterator[tuple[str, datetime]]:
        for entry in await asyncio.to_thread(self._written):
            yield entry

    async def delete(self, key: str) -> None:
        path = self._path(key)
        with _store_errors(key):
            await asyncio.to_thread(path.unlink, missing_ok=True)
