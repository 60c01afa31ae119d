"""Who may do what in a collection: global admins, then the caller's membership role."""

from __future__ import annotations

from domain.identity.principal import Principal
from domain.identity.roles import Permission
from domain.knowledge.errors import CollectionNotFoundError
from domain.knowledge.models import CollectionRole
from domain.shared.errors import PermissionDeniedError

_WRITERS = frozenset({CollectionRole.EDITOR, CollectionRole.OWNER})


class CollectionAccess:
    """The caller's standing in one collection. Invisible collections raise 404, not 403."""

    def __init__(self, principal: Principal, role: CollectionRole | None) -> None:
        self._principal = principal
        self.role = role

    @property
    def is_admin(self) -> bool:
        return self._principal.acts_as_admin

    def require_read(self) -> None:
        self._principal.require(Permission.DOCUMENTS_READ)
        if self.role is None and not self.is_admin:
            raise CollectionNotFoundError()

    def require_write(self) -> None:
        self.require_read()
        self._principal.require(Permission.DOCUMENTS_WRITE)
        if not (self.is_admin or self.role in _WRITERS):
            raise PermissionDeniedError(
                "You need the editor or owner role in this collection.",
                details={"collection_role": self._role_name, "required_collection_roles": ["editor", "owner"]},
            )

    def require_manage(self) -> None:
        self.require_read()
        self._principal.require(Permission.COLLECTIONS_MANAGE)
        if not (self.is_admin or self.role is CollectionRole.OWNER):
            raise PermissionDeniedError(
                "Only the collection's owners can do this.",
                details={"collection_role": self._role_name, "required_collection_roles": ["owner"]},
            )

    @property
    def _role_name(self) -> str | None:
        return None if self.role is None else self.role.value
