"""Who is calling, and what they may do: the single place permissions are decided."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.identity.errors import InteractiveSessionRequiredError
from domain.identity.roles import Permission, Role, permissions_of, roles_granting
from domain.shared.errors import PermissionDeniedError

OPERATOR_ID = UUID(int=0)


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: UUID
    role: Role
    session_id: UUID | None = None
    api_key_id: UUID | None = None
    # an API key's scopes; None for a signed-in session (all of the role's permissions)
    scopes: frozenset[Permission] | None = None

    @property
    def permissions(self) -> frozenset[Permission]:
        granted = permissions_of(self.role)
        # a key never exceeds its owner's current rights, even after a demotion
        return granted if self.scopes is None else granted & self.scopes

    @property
    def acts_as_admin(self) -> bool:
        """An admin with full rights: sees every collection and job (an API key scoped below users:write does not)."""
        return self.role is Role.ADMIN and self.can(Permission.USERS_WRITE)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        """403 that says what is missing: the role's permission, or else the API key's scope."""
        if self.can(permission):
            return
        if permission in permissions_of(self.role):  # the role has it, so only the key's scopes lack it
            raise PermissionDeniedError(
                f"This API key lacks the '{permission.value}' scope.",
                details={"permission": permission.value, "missing_scope": permission.value},
            )
        roles = [role.value for role in roles_granting(permission)]
        raise PermissionDeniedError(
            f"You need the '{permission.value}' permission (roles: {', '.join(roles)}).",
            details={"permission": permission.value, "required_roles": roles},
        )

    def require_interactive(self) -> None:
        """Account management (passwords, sessions, keys) is for a person, never for an API key."""
        if self.api_key_id is not None:
            raise InteractiveSessionRequiredError()

    @classmethod
    def operator(cls) -> Principal:
        """The trusted operator at the CLI: acts with admin rights and is nobody's user."""
        return cls(user_id=OPERATOR_ID, role=Role.ADMIN)

    def is_self(self, user_id: UUID) -> bool:
        return self.user_id == user_id
