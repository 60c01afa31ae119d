"""AddDocument with fakes: what is stored and scheduled, who may add, and the refusals."""

from __future__ import annotations

import pytest

from application.knowledge.documents import NewDocument
from application.knowledge.policy import KnowledgePolicy
from application.knowledge.ports import JobStatus
from domain.identity.roles import Role
from domain.knowledge.errors import CollectionNotFoundError, DuplicateDocumentError, IdempotencyKeyReusedError
from domain.knowledge.models import CollectionRole, ContentType, DocumentStatus
from domain.shared.errors import DomainError, PayloadTooLargeError, PermissionDeniedError, ValidationError
from tests.unit.knowledge_world import KnowledgeWorld, member

TEXT = "Every employee receives twenty-five vacation days each year."


async def test_an_editor_adds_a_pending_document_whose_job_reaches_the_queue() -> None:
    world, editor = KnowledgeWorld(), member()
    collection_id = world.collection((editor, CollectionRole.EDITOR))
    document = await world.add_text(editor, collection_id, TEXT, title="  Vacation   policy ")

    durable = world.tables.durable()
    assert durable["documents"][document.id] == document
    assert world.blobs.blobs[durable["sources"][document.id].blob_key] == TEXT.encode()
    assert (document.title, document.status, document.created_by) == (
        "Vacation policy",
        DocumentStatus.PENDING,
        editor.user_id,
    )
    assert document.content_type is ContentType.TEXT
    (job,) = durable["jobs"].values()
    assert (job.document_id, job.status) == (document.id, JobStatus.ENQUEUED)
    assert world.queue.enqueued == [job.id]


async def test_a_viewer_may_not_add_and_an_outsider_does_not_see_the_collection() -> None:
    world, viewer, outsider = KnowledgeWorld(), member(), member(Role.EDITOR)
    collection_id = world.collection((viewer, CollectionRole.VIEWER))
    with pytest.raises(PermissionDeniedError) as refused:
        await world.add_text(viewer, collection_id, TEXT)
    assert refused.value.details["collection_role"] == "viewer"
    with pytest.raises(CollectionNotFoundError):
        await world.add_text(outsider, collection_id, TEXT)
    assert world.tables.durable()["documents"] == {}
    assert world.queue.enqueued == []


async def test_an_admin_adds_to_any_collection() -> None:
    world, admin = KnowledgeWorld(), member(Role.ADMIN)
    document = await world.add_text(admin, world.collection(), TEXT)
    assert document.id in world.tables.durable()["documents"]


async def test_the_same_content_twice_is_a_conflict_naming_the_first_document() -> None:
    world, editor = KnowledgeWorld(), member()
    collection_id = world.collection((editor, CollectionRole.OWNER))
    first = await world.add_text(editor, collection_id, TEXT)
    with pytest.raises(DuplicateDocumentError) as duplicate:
        await world.add_text(editor, collection_id, TEXT, title="Another title")
    assert duplicate.value.details == {"document_id": str(first.id)}
    assert list(world.tables.durable()["documents"]) == [first.id]


async def test_an_idempotency_key_replays_the_first_document_and_refuses_another_body() -> None:
    world, editor = KnowledgeWorld(), member()
    collection_id = world.collection((editor, CollectionRole.EDITOR))
    new = NewDocument("Handbook", ContentType.TEXT, TEXT.encode(), {"team": "hr"}, idempotency_key="k-1")
    first = await world.add_document.execute(editor, collection_id, new)
    again = await world.add_document.execute(editor, collection_id, new)
    assert (first.created, again.created) == (True, False)
    assert again.document == first.document
    assert len(world.tables.durable()["jobs"]) == 1  # the replay scheduled nothing

    changed = NewDocument("Handbook", ContentType.TEXT, b"other text", {"team": "hr"}, idempotency_key="k-1")
    with pytest.raises(IdempotencyKeyReusedError):
        await world.add_document.execute(editor, collection_id, changed)


@pytest.mark.parametrize(
    ("source", "metadata", "error", "field"),
    [
        (b"", {}, ValidationError, "content"),
        (b"x" * 2049, {}, PayloadTooLargeError, None),
        (b"fine", {"blob": "y" * 600}, ValidationError, "metadata"),
    ],
)
async def test_empty_oversized_or_over_described_documents_are_refused(
    source: bytes, metadata: dict[str, str], error: type[DomainError], field: str | None
) -> None:
    editor = member()
    limits = KnowledgeWorld(policy=KnowledgePolicy(max_upload_bytes=2048, max_metadata_bytes=512))
    collection_id = limits.collection((editor, CollectionRole.EDITOR))
    with pytest.raises(error) as refused:
        await limits.add_document.execute(editor, collection_id, NewDocument("T", ContentType.TEXT, source, metadata))
    if field is not None:
        assert refused.value.details["field"] == field
    assert limits.tables.durable()["documents"] == {}


async def test_a_document_added_while_the_queue_is_down_is_kept_and_relayed_later() -> None:
    world, editor = KnowledgeWorld(), member()
    world.queue.down = True
    document = await world.add_text(editor, world.collection((editor, CollectionRole.EDITOR)), TEXT)

    durable = world.tables.durable()
    assert document.id in durable["documents"]  # the upload succeeded: the outbox keeps its job
    (job,) = durable["jobs"].values()
    assert job.status is JobStatus.PENDING

    world.queue.down = False
    assert await world.relay.execute() == 1
    assert world.queue.enqueued == [job.id]
    assert world.tables.durable()["jobs"][job.id].status is JobStatus.ENQUEUED
