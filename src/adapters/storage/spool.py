"""Writing a stream of bytes to a temporary file while hashing it: the content-addressed key is known only at the
end, and a chunk at a time is all that is held in memory."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from application.knowledge.ports import KEY_PREFIX, BlobMissingError, blob_key

_KEY = re.compile(rf"^{re.escape(KEY_PREFIX)}[0-9a-f]{{64}}$")


@dataclass(frozen=True, slots=True)
class Spooled:
    path: Path
    sha256: str
    size: int

    @property
    def key(self) -> str:
        return blob_key(self.sha256)


def checked_key(key: str) -> str:
    """Only keys this store makes: a key never becomes a path outside the store."""
    if not _KEY.match(key):
        raise BlobMissingError(key)
    return key


def _write(file: BinaryIO, chunk: bytes) -> None:
    file.write(chunk)


def _finish(file: BinaryIO) -> None:
    file.flush()
    os.fsync(file.fileno())
    file.close()


async def spool(chunks: AsyncIterable[bytes], directory: Path) -> Spooled:
    """The bytes in a new file in ``directory``, flushed to disk; the file is removed if ``chunks`` raises."""
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")
    file = os.fdopen(descriptor, "wb")
    digest = hashlib.sha256()
    size = 0
    try:
        async for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            await asyncio.to_thread(_write, file, chunk)  # a disk write never stalls the event loop
        await asyncio.to_thread(_finish, file)
    except BaseException:
        file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)  # no await here: this also runs when the upload is cancelled
        raise
    return Spooled(Path(name), digest.hexdigest(), size)
