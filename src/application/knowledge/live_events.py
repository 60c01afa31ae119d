"""Which events one live connection may receive: the visibility rule plus a short cache of collection reads."""

from __future__ import annotations

from uuid import UUID

from application.knowledge.ports import ReadableCollections
from application.shared.ports import Clock
from domain.identity.principal import Principal
from domain.identity.roles import Permission
from domain.shared.events import ASSISTANT_EVENTS, DomainEvent, EventType, may_receive

MEMBER_EVENTS = frozenset({EventType.COLLECTION_MEMBER_ADDED, EventType.COLLECTION_MEMBER_REMOVED})
# events about the caller's own assistant work need the assistant scope on top of documents:read


class EventVisibility:
    """For one principal: may this event be sent to them now?

    Collection reads are asked of the database and kept ``ttl_seconds``; a member event naming the principal
    drops the cached answer for that collection first, so being added or removed takes effect with that event.
    """

    def __init__(self, principal: Principal, readable: ReadableCollections, clock: Clock, ttl_seconds: float) -> None:
        self._principal = principal
        self._readable = readable
        self._clock = clock
        self._ttl = ttl_seconds
        self._reads: dict[UUID, tuple[bool, float]] = {}  # collection id -> (reads it, until)

    async def allows(self, event: DomainEvent) -> bool:
        principal = self._principal
        if not principal.can(Permission.DOCUMENTS_READ):
            return False
        if event.type in ASSISTANT_EVENTS and not principal.can(Permission.ASSISTANT_USE):
            return False
        collection_id = event.audience.collection_id
        named = event.audience.names(principal.user_id)
        if collection_id is not None and named and event.type in MEMBER_EVENTS:
            self._reads.pop(collection_id, None)
        reads = False
        if collection_id is not None and not named and not principal.acts_as_admin:
            reads = await self._reads_collection(collection_id)
        return may_receive(event, principal.user_id, is_admin=principal.acts_as_admin, reads_collection=reads)

    async def _reads_collection(self, collection_id: UUID) -> bool:
        now = self._clock.now().timestamp()
        cached = self._reads.get(collection_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        found = await self._readable.readable(
            self._principal.user_id, frozenset({collection_id}), all_collections=False
        )
        reads = collection_id in found
        self._reads[collection_id] = (reads, now + self._ttl)
        return reads
