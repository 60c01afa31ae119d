"""The collection ids a caller names to scope a search or a conversation must all be readable by them."""

from __future__ import annotations

from uuid import UUID

from application.knowledge.ports import ReadableCollections
from domain.identity.principal import Principal
from domain.knowledge.errors import CollectionNotFoundError


class CollectionScope:
    def __init__(self, collections: ReadableCollections) -> None:
        self._collections = collections

    async def require_readable(self, principal: Principal, collection_ids: frozenset[UUID] | None) -> None:
        """Raises the collection endpoints' 404 for the first id that is missing or not visible to the caller
        (the same answer for both, so ids of other users' collections cannot be probed)."""
        if not collection_ids:
            return
        readable = await self._collections.readable(
            principal.user_id, collection_ids, all_collections=principal.acts_as_admin
        )
        unreadable = sorted(collection_ids - readable)
        if unreadable:
            raise CollectionNotFoundError(details={"collection_id": str(unreadable[0])})
