"""Roles and the permission table: guards ask for permissions, never role names."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    MEMBER = "member"


class Permission(StrEnum):
    DOCUMENTS_READ = "documents:read"
    DOCUMENTS_WRITE = "documents:write"
    COLLECTIONS_CREATE = "collections:create"
    ASSISTANT_USE = "assistant:use"
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    AUDIT_READ = "audit:read"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # documents:write lets a member add documents where a collection makes them editor; creating
    # collections is what sets editors apart
    Role.MEMBER: frozenset({Permission.DOCUMENTS_READ, Permission.DOCUMENTS_WRITE, Permission.ASSISTANT_USE}),
    Role.EDITOR: frozenset(
        {Permission.DOCUMENTS_READ, Permission.DOCUMENTS_WRITE, Permission.COLLECTIONS_CREATE, Permission.ASSISTANT_USE}
    ),
    Role.ADMIN: frozenset(Permission),
}


def permissions_of(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]
