"""The blob store contract, run against the folder store and an S3-compatible server (moto, on 127.0.0.1)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.storage.factory import S3Options, blob_store
from application.knowledge.ports import BlobMissingError, BlobStore
from domain.shared.errors import DependencyUnavailableError
from tests.support.s3_server import S3Server, s3_server  # noqa: F401 - a fixture

BIG = bytes(range(256)) * 9000  # ~2.3 MB in many chunks


@pytest.fixture(params=["file", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "file":
        return blob_store((tmp_path / "blobs").as_uri(), S3Options(), tmp_path / "spool")
    server: S3Server = request.getfixturevalue("s3_server")
    return blob_store(f"s3://{server.bucket}/{tmp_path.name}", server.options, tmp_path / "spool")


async def _chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


async def test_put_then_read_and_stream_the_same_bytes(store: BlobStore) -> None:
    blob = await store.put(_chunks(BIG))
    digest = hashlib.sha256(BIG).hexdigest()
    assert (blob.key, blob.sha256, blob.size) == (f"sha256/{digest}", digest, len(BIG))
    assert await store.exists(blob.key)
    assert await store.read(blob.key) == BIG
    assert b"".join([chunk async for chunk in store.open(blob.key)]) == BIG


async def test_the_same_bytes_twice_are_one_blob_and_delete_removes_it(store: BlobStore) -> None:
    first = await store.put(_chunks(b"same bytes"))
    again = await store.put(_chunks(b"same bytes", size=3))
    assert first == again
    await store.delete(first.key)
    assert not await store.exists(first.key)
    await store.delete(first.key)  # a missing blob is no error
    with pytest.raises(BlobMissingError):
        await store.read(first.key)
    with pytest.raises(BlobMissingError):
        [chunk async for chunk in store.open(first.key)]


async def test_a_failing_stream_stores_nothing_and_leaves_no_temporary_file(store: BlobStore, tmp_path: Path) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"the start of a file"
        raise ValueError("the client went away")

    with pytest.raises(ValueError, match="went away"):
        await store.put(broken())
    key = "sha256/" + hashlib.sha256(b"the start of a file").hexdigest()
    assert not await store.exists(key)
    assert list(tmp_path.rglob("*.part")) == []


async def test_keys_it_did_not_make_are_refused(store: BlobStore) -> None:
    for key in ("../../etc/passwd", "sha256/../x", "sha256/" + "A" * 64):
        with pytest.raises(BlobMissingError):
            await store.read(key)


async def test_the_filesystem_layout_is_fanned_out_and_complete(tmp_path: Path) -> None:
    store = blob_store((tmp_path / "blobs").as_uri(), S3Options(), tmp_path / "spool")
    blob = await store.put(_chunks(b"hello"))
    hex_digest = blob.sha256
    assert (tmp_path / "blobs" / "sha256" / hex_digest[:2] / hex_digest).read_bytes() == b"hello"


async def test_an_unreachable_s3_server_is_a_503_not_a_crash(tmp_path: Path) -> None:
    store = blob_store("s3://nowhere/x", S3Options("http://127.0.0.1:9", "us-east-1", "k", "s"), tmp_path)
    with pytest.raises(DependencyUnavailableError):
        await store.exists("sha256/" + "0" * 64)


def test_a_url_of_another_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="file:// or s3://"):
        blob_store("ftp://host/x", S3Options(), tmp_path)


async def test_the_listing_names_every_key_with_its_write_time(store: BlobStore) -> None:
    before = datetime.now(UTC) - timedelta(minutes=5)
    blobs = [await store.put(_chunks(data)) for data in (b"one", b"two")]
    listed = {key: written_at async for key, written_at in store.listing()}
    assert set(listed) == {blob.key for blob in blobs}
    assert all(before < written_at <= datetime.now(UTC) + timedelta(minutes=5) for written_at in listed.values())
