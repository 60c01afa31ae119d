"""Roles and the permission table: guards ask for permissions, never role names."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    MEMBER = "member"


class Permission(StrEnum):
    """What a role grants and what an API key's scopes may hold."""

    DOCUMENTS_READ = "documents:read"
    DOCUMENTS_WRITE = "documents:write"
    COLLECTIONS_CREATE = "collections:create"
    COLLECTIONS_MANAGE = "collections:manage"
    ASSISTANT_USE = "assistant:use"
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    AUDIT_READ = "audit:read"
    WEBHOOKS_MANAGE = "webhooks:manage"  # one's own endpoints; admins everyone's


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # documents:write and collections:manage let a member act where a collection makes them editor or
    # owner; creating collections is what sets editors apart
    Role.MEMBER: frozenset(
        {
            Permission.DOCUMENTS_READ,
            Permission.DOCUMENTS_WRITE,
            Permission.COLLECTIONS_MANAGE,
            Permission.ASSISTANT_USE,
            Permission.WEBHOOKS_MANAGE,
        }
    ),
    Role.EDITOR: frozenset(
        {
            Permission.DOCUMENTS_READ,
            Permission.DOCUMENTS_WRITE,
            Permission.COLLECTIONS_CREATE,
            Permission.COLLECTIONS_MANAGE,
            Permission.ASSISTANT_USE,
            Permission.WEBHOOKS_MANAGE,
        }
    ),
    Role.ADMIN: frozenset(Permission),
}


# what only admins hold: the operations MFA_REQUIRED_FOR_ADMINS keeps from an admin until they enrol
ADMIN_ONLY: frozenset[Permission] = frozenset(Permission).difference(
    *(granted for role, granted in ROLE_PERMISSIONS.items() if role is not Role.ADMIN)
)


def permissions_of(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]


def roles_granting(permission: Permission) -> list[Role]:
    """The roles that hold ``permission``, in the order of ``Role``."""
    return [role for role in Role if permission in ROLE_PERMISSIONS[role]]
