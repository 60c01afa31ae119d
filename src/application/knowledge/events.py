"""The knowledge module's events: what a collection's readers are told about its documents and members."""

from __future__ import annotations

from uuid import UUID

from application.shared.event_stream import EventEmitter
from domain.knowledge.models import CollectionRole, Document
from domain.shared.events import Audience, DomainEvent, EventType


async def emit_document(events: EventEmitter, type_: EventType, document: Document) -> None:
    """document.ready / failed / deleted, recorded in the caller's unit of work."""
    await events.record(document_event(events, type_, document))


def document_event(events: EventEmitter, type_: EventType, document: Document) -> DomainEvent:
    """document.ready / failed / deleted: ids, title, status and counts — never the document's text. Built, not
    recorded: ingestion hands it to the shared write, which records it with the chunks it announces."""
    data: dict[str, object] = {"title": document.title, "status": document.status.value}
    if type_ is EventType.DOCUMENT_READY:
        data["chunk_count"] = document.chunk_count
    if type_ is EventType.DOCUMENT_FAILED:
        data |= {"error_stage": document.error_stage, "error_message": document.error_message}
    return events.build(
        type_,
        subject={"document_id": document.id, "collection_id": document.collection_id},
        data=data,
        audience=Audience(collection_id=document.collection_id),
    )


async def emit_membership(
    events: EventEmitter, type_: EventType, collection_id: UUID, user_id: UUID, role: CollectionRole
) -> None:
    """collection.member.added / removed: the collection's readers and the member (who, removed, reads no more)."""
    await events.emit(
        type_,
        subject={"collection_id": collection_id, "user_id": user_id},
        data={"role": role.value},
        audience=Audience(collection_id=collection_id, user_ids=frozenset({user_id})),
    )
