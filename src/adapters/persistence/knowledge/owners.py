"""How a creator is stored."""

from __future__ import annotations

from uuid import UUID


def stored_user_id(user_id: UUID) -> UUID | None:
    """The CLI operator (the nil UUID) is nobody's user: stored as NULL."""
    return None if user_id.int == 0 else user_id
