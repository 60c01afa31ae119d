from __future__ import annotations

from uuid import UUID

from uuid_utils.compat import uuid7


class Uuid7Generator:
    """Time-ordered ids keep B-tree inserts local and sort by creation."""

    def new_id(self) -> UUID:
        return uuid7()
