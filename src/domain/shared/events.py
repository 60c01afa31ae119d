"""Domain events: what happened, to what, and who may be told. Emitted at commit time through the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class EventType(StrEnum):
    DOCUMENT_READY = "document.ready"
    DOCUMENT_FAILED = "document.failed"
    DOCUMENT_DELETED = "document.deleted"
    JOB_COMPLETED = "job.completed"
    JOB_FAILED = "job.failed"
    CONVERSATION_REPLY_COMPLETED = "conversation.reply.completed"
    COLLECTION_MEMBER_ADDED = "collection.member.added"
    COLLECTION_MEMBER_REMOVED = "collection.member.removed"


# events about a person's assistant work: only a credential that may use the assistant hears them
ASSISTANT_EVENTS = frozenset({EventType.JOB_COMPLETED, EventType.JOB_FAILED, EventType.CONVERSATION_REPLY_COMPLETED})


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may receive an event besides admins: the readers of one collection and/or named users.

    Membership is checked when the event is handed to a recipient (a webhook fan-out, a live connection),
    not when it is emitted, so someone removed from a collection stops hearing about it at once.
    """

    collection_id: UUID | None = None
    user_ids: frozenset[UUID] = field(default_factory=frozenset)

    def names(self, user_id: UUID) -> bool:
        return user_id in self.user_ids


@dataclass(frozen=True, slots=True)
class DomainEvent:
    id: UUID  # UUIDv7: time-ordered, the webhook-id and the live stream's dedupe key
    type: EventType
    occurred_at: datetime
    subject: Mapping[str, str]  # the ids the event is about, e.g. {"document_id": ..., "collection_id": ...}
    data: Mapping[str, object]  # JSON-ready; only what every member of the audience may see
    audience: Audience

    def payload(self) -> dict[str, object]:
        """The wire shape shared by webhooks and live events (audience is routing, never sent)."""
        return {
            "id": str(self.id),
            "type": self.type.value,
            "occurred_at": self.occurred_at.isoformat(),
            "subject": dict(self.subject),
            "data": dict(self.data),
        }


def may_receive(event: DomainEvent, user_id: UUID, *, is_admin: bool, reads_collection: bool) -> bool:
    """The one visibility rule. ``reads_collection``: the user may read the event's collection now."""
    if is_admin or event.audience.names(user_id):
        return True
    return event.audience.collection_id is not None and reads_collection
