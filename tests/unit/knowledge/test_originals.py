"""Originals in the blob store, with fakes: streamed intake, sharing, collection after commit, migration, reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from application.knowledge.documents import DownloadOriginal, NewDocument
from application.knowledge.ingest import IngestOutcome
from application.knowledge.ports import StoredSource
from application.knowledge.storage import MigrateOriginals
from domain.knowledge.errors import IdempotencyKeyReusedError
from domain.knowledge.models import CollectionRole, ContentType
from domain.shared.errors import DependencyUnavailableError, NotFoundError, PayloadTooLargeError, ValidationError
from tests.unit.knowledge_world import KnowledgeWorld, member

TEXT = "Every employee receives twenty-five vacation days each year."


async def _stream(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def test_a_streamed_upload_is_stored_once_and_its_blob_kept_for_an_idempotent_replay() -> None:
    world, editor = KnowledgeWorld(), member()
    collection_id = world.collection((editor, CollectionRole.EDITOR))
    new = NewDocument("Policy", ContentType.TEXT, _stream(TEXT[:10].encode(), TEXT[10:].encode()), idempotency_key="k")
    added = await world.add_document.execute(editor, collection_id, new)
    assert added.document.size_bytes == len(TEXT)
    replay = NewDocument("Policy", ContentType.TEXT, TEXT.encode(), idempotency_key="k")
    assert (await world.add_document.execute(editor, collection_id, replay)).created is False
    assert list(world.blobs.blobs.values()) == [TEXT.encode()]

    reused = NewDocument("Policy", ContentType.TEXT, b"Other text.", idempotency_key="k")
    with pytest.raises(IdempotencyKeyReusedError):
        await world.add_document.execute(editor, collection_id, reused)
    assert list(world.blobs.blobs.values()) == [TEXT.encode()]  # the refused upload's blob went


async def test_an_upload_over_the_limit_or_empty_leaves_no_blob() -> None:
    world, editor = KnowledgeWorld(), member()
    collection_id = world.collection((editor, CollectionRole.EDITOR))
    limit = world.policy.max_upload_bytes
    huge = _stream(b"x" * limit, b"y")
    with pytest.raises(PayloadTooLargeError):
        await world.add_document.execute(editor, collection_id, NewDocument("Big", ContentType.TEXT, huge))
    with pytest.raises(ValidationError):
        await world.add_document.execute(editor, collection_id, NewDocument("Empty", ContentType.TEXT, _stream()))
    assert world.blobs.blobs == {}


async def test_a_blob_removed_between_upload_and_commit_asks_for_the_upload_again() -> None:
    world, editor = KnowledgeWorld(), member()
    collection_id = world.collection((editor, CollectionRole.EDITOR))
    put = world.blobs.put

    async def put_then_lose(chunks: AsyncIterator[bytes]) -> object:
        blob = await put(chunks)
        world.blobs.blobs.clear()  # a concurrent sweep of the same bytes
        return blob

    world.blobs.put = put_then_lose  # type: ignore[method-assign,assignment]
    with pytest.raises(DependencyUnavailableError):
        await world.add_text(editor, collection_id, TEXT)
    assert world.tables.durable()["documents"] == {}


async def test_a_failed_blob_delete_keeps_its_note_for_the_next_sweep() -> None:
    world, editor = KnowledgeWorld(), member()
    document = await world.add_text(editor, world.collection((editor, CollectionRole.EDITOR)), TEXT)
    await world.documents.delete(document.id)
    await world.tables.commit()
    world.blobs.fail_deletes = True
    assert await world.collector.sweep() == 0
    assert list(world.tables.durable()["garbage"]) == [f"sha256/{document.content_hash}"]
    world.blobs.fail_deletes = False
    assert await world.collector.sweep() == 1
    assert world.blobs.blobs == {}
    assert world.tables.durable()["garbage"] == {}


async def test_migrating_originals_moves_each_once_and_back() -> None:
    world, editor = KnowledgeWorld(), member()
    document = await world.add_text(editor, world.collection((editor, CollectionRole.EDITOR)), TEXT)
    world.tables.sources[document.id] = StoredSource(None, None, TEXT.encode())  # as before blob storage
    world.blobs.blobs.clear()
    migrate = MigrateOriginals(world.references, world.blobs, world.tables)

    first = await migrate.execute(batch_size=1)
    assert (first.moved, first.bytes) == (1, len(TEXT))
    assert world.tables.sources[document.id] == StoredSource(f"sha256/{document.content_hash}", None, None)
    assert (await migrate.execute()).moved == 0
    assert (await migrate.back()).moved == 1
    assert world.tables.sources[document.id].data == TEXT.encode()


async def test_ingestion_reads_an_original_still_in_the_database_and_fails_on_a_missing_blob() -> None:
    world, editor = KnowledgeWorld(), member()
    collection_id = world.collection((editor, CollectionRole.EDITOR))
    legacy = await world.add_text(editor, collection_id, TEXT)
    world.tables.sources[legacy.id] = StoredSource(None, None, TEXT.encode())
    lost = await world.add_text(editor, collection_id, "Another original.", title="Lost")
    world.blobs.blobs.clear()
    world.tables.checkpoint()
    jobs = {j.document_id: j for j in world.tables.durable()["jobs"].values()}

    assert (await world.ingest.execute(jobs[legacy.id].id)).outcome is IngestOutcome.READY
    assert (await world.ingest.execute(jobs[lost.id].id)).outcome is IngestOutcome.FAILED
    failed = world.tables.durable()["documents"][lost.id]
    assert failed.error_message == "The original is missing from storage."


async def test_a_download_streams_the_blob_or_the_database_copy_and_a_missing_one_is_404() -> None:
    world, editor = KnowledgeWorld(), member()
    collection_id = world.collection((editor, CollectionRole.EDITOR))
    download = DownloadOriginal(world.document_gate, world.documents, world.blobs)
    document = await world.add_text(editor, collection_id, TEXT)
    original = await download.execute(editor, document.id)
    assert original.chunks is not None
    assert (original.filename, b"".join([c async for c in original.chunks])) == ("Handbook", TEXT.encode())

    source = world.tables.sources[document.id]
    world.tables.sources[document.id] = replace(source, blob_key=None, data=b"old copy")
    again = await download.execute(editor, document.id)
    assert again.chunks is not None
    assert b"".join([c async for c in again.chunks]) == b"old copy"

    world.tables.sources[document.id] = source
    world.blobs.blobs.clear()
    with pytest.raises(NotFoundError, match="missing from storage"):
        await download.execute(editor, document.id)
    world.tables.sources.pop(document.id)
    with pytest.raises(NotFoundError, match="not stored"):
        await download.execute(editor, document.id)
    with pytest.raises(NotFoundError):
        await download.execute(member(), document.id)


async def test_a_cached_copy_is_current_by_its_hash_without_opening_the_blob() -> None:
    world, editor = KnowledgeWorld(), member()
    collection_id = world.collection((editor, CollectionRole.EDITOR))
    download = DownloadOriginal(world.document_gate, world.documents, world.blobs)
    document = await world.add_text(editor, collection_id, TEXT)
    world.blobs.blobs.clear()  # opening the blob now fails: a 304 must not need it

    current = await download.execute(editor, document.id, cached_hashes={"stale", document.content_hash})
    assert (current.document.id, current.chunks) == (document.id, None)
    with pytest.raises(NotFoundError, match="missing from storage"):
        await download.execute(editor, document.id, cached_hashes={"stale"})
    with pytest.raises(NotFoundError):  # visibility is still checked first
        await download.execute(member(), document.id, cached_hashes={document.content_hash})


async def test_the_orphan_sweep_removes_old_unreferenced_blobs_only() -> None:
    world, editor = KnowledgeWorld(), member()
    document = await world.add_text(editor, world.collection((editor, CollectionRole.EDITOR)), TEXT)
    orphan = await world.blobs.put(_stream(b"left by an upload whose process died"))
    written = world.blobs.written_at

    assert await world.collector.sweep_orphans(written_before=written) == 0  # young: maybe an upload in flight
    assert await world.collector.sweep_orphans(written_before=written + timedelta(hours=1), batch_size=1) == 1
    assert list(world.blobs.blobs) == [f"sha256/{document.content_hash}"]
    assert orphan.key not in world.tables.durable()["garbage"]
