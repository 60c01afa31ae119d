"""Looking a collection up across owners is an operator's tool."""

from __future__ import annotations

from typing import cast
from uuid import uuid4

import pytest

from application.identity.ports import UserRepository
from application.knowledge.collections import FindCollection
from application.knowledge.ports import CollectionRepository
from domain.identity.principal import Principal
from domain.identity.roles import Role
from domain.shared.errors import PermissionDeniedError


class Untouched:
    """Stands for a repository the use case must not reach."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"{name} was called")


async def test_only_admins_may_look_collections_up_by_name() -> None:
    find = FindCollection(cast("CollectionRepository", Untouched()), cast("UserRepository", Untouched()))
    editor = Principal(uuid4(), Role.EDITOR, session_id=uuid4())
    with pytest.raises(PermissionDeniedError, match="Only admins"):
        await find.execute(editor, "Handbook")
