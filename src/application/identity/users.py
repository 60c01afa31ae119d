"""Profiles and user administration."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.identity.accounts import AccountFactory, NewAccount
from application.identity.audit import Auditor
from application.identity.ports import ApiKeyRepository, SessionRepository, UserDirectory, UserQuery, UserRepository
from application.shared.ports import Clock, Page, UnitOfWork
from domain.identity.errors import SelfLockoutError
from domain.identity.models import AuditAction, User, normalize_display_name
from domain.identity.principal import Principal
from domain.identity.roles import Permission, Role
from domain.shared.errors import NotFoundError


class GetMe:
    """The caller's own account.

    Any principal; raises NotFoundError when the account is gone.
    """

    def __init__(self, users: UserRepository) -> None:
        self._users = users

    async def execute(self, principal: Principal) -> User:
        user = await self._users.get(principal.user_id)
        if user is None:
            raise NotFoundError()
        return user


class UpdateMe:
    """Only the display name: email, role and activity are not the user's to set.

    A signed-in person (never an API key); raises InteractiveSessionRequiredError, ValidationError (422) and
    NotFoundError when the account is gone.
    """

    def __init__(self, users: UserRepository, auditor: Auditor, uow: UnitOfWork, clock: Clock) -> None:
        self._users = users
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def execute(self, principal: Principal, *, display_name: str | None) -> User:
        principal.require_interactive()
        user = await self._users.get(principal.user_id)
        if user is None:
            raise NotFoundError()
        if display_name is not None:
            user = user.with_changes(display_name=normalize_display_name(display_name), updated_at=self._clock.now())
            await self._users.save(user)
            await self._auditor.record(
                AuditAction.USER_UPDATED, actor_id=user.id, subject_id=user.id, fields=["display_name"]
            )
            await self._uow.commit()
        return user


class ListUsers:
    """One page of users, filtered by role, activity and a text match.

    A principal with ``users:read``; raises PermissionDeniedError without it.
    """

    def __init__(self, users: UserDirectory) -> None:
        self._users = users

    async def execute(self, principal: Principal, query: UserQuery) -> Page[User]:
        principal.require(Permission.USERS_READ)
        return await self._users.list(query)


class GetUser:
    """One user by id.

    A principal with ``users:read``; raises PermissionDeniedError, and NotFoundError for an unknown id.
    """

    def __init__(self, users: UserRepository) -> None:
        self._users = users

    async def execute(self, principal: Principal, user_id: UUID) -> User:
        principal.require(Permission.USERS_READ)
        user = await self._users.get(user_id)
        if user is None:
            raise NotFoundError("No such user.")
        return user


@dataclass(frozen=True, slots=True)
class UserChanges:
    role: Role | None = None
    is_active: bool | None = None
    display_name: str | None = None


class UserAccess:
    """Ends every way a user is signed in: sessions and API keys, in the caller's transaction."""

    def __init__(self, sessions: SessionRepository, api_keys: ApiKeyRepository, clock: Clock) -> None:
        self._sessions = sessions
        self._api_keys = api_keys
        self._clock = clock

    async def cut_off(self, user_id: UUID, reason: str) -> tuple[int, int]:
        now = self._clock.now()
        return (
            await self._sessions.revoke_all(user_id, now, reason),
            await self._api_keys.revoke_all(user_id, now),
        )


class UpdateUser:
    """Changes a user's role or activity; deactivating one ends their sessions and revokes their keys.

    A principal with ``users:write``; raises PermissionDeniedError, NotFoundError (unknown id),
    SelfLockoutError (409) for a change to the caller's own role or activity, and MfaRequiredError (401) for a
    role change from a session whose MFA is not recent.
    """

    def __init__(
        self, users: UserRepository, access: UserAccess, auditor: Auditor, uow: UnitOfWork, clock: Clock
    ) -> None:
        self._users = users
        self._access = access
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def execute(self, principal: Principal, user_id: UUID, changes: UserChanges) -> User:
        principal.require(Permission.USERS_WRITE)
        user = await self._users.get(user_id)
        if user is None:
            raise NotFoundError("No such user.")
        touches_self = changes.role not in (None, user.role) or changes.is_active is False
        if principal.is_self(user_id) and touches_self:
            raise SelfLockoutError()
        updated = user
        if changes.display_name is not None:
            updated = updated.with_changes(display_name=normalize_display_name(changes.display_name))
        if changes.role is not None and changes.role != user.role:
            principal.require_recent_mfa()
            updated = updated.with_changes(role=changes.role)
            await self._auditor.record(
                AuditAction.ROLE_CHANGED,
                actor=principal,
                subject_id=user.id,
                old=user.role.value,
                new=changes.role.value,
            )
        if changes.is_active is not None and changes.is_active != user.is_active:
            updated = updated.with_changes(is_active=changes.is_active)
            if changes.is_active:
                await self._auditor.record(AuditAction.USER_REACTIVATED, actor=principal, subject_id=user.id)
            else:
                sessions, keys = await self._access.cut_off(user.id, "deactivated")
                await self._auditor.record(
                    AuditAction.USER_DEACTIVATED,
                    actor=principal,
                    subject_id=user.id,
                    sessions_revoked=sessions,
                    api_keys_revoked=keys,
                )
        if updated != user:
            updated = updated.with_changes(updated_at=self._clock.now())
            await self._users.save(updated)
            await self._uow.commit()
        return updated


class DeleteUser:
    """Deletes a user with their sessions and keys.

    A principal with ``users:write``; raises PermissionDeniedError, SelfLockoutError (409, oneself) and
    NotFoundError (unknown id).
    """

    def __init__(self, users: UserRepository, auditor: Auditor, uow: UnitOfWork) -> None:
        self._users = users
        self._auditor = auditor
        self._uow = uow

    async def execute(self, principal: Principal, user_id: UUID) -> None:
        principal.require(Permission.USERS_WRITE)
        if principal.is_self(user_id):
            raise SelfLockoutError()
        user = await self._users.get(user_id)
        if user is None:
            raise NotFoundError("No such user.")
        await self._users.delete(user_id)  # sessions, tokens and keys go with it
        await self._auditor.record(AuditAction.USER_DELETED, actor=principal, subject_id=user_id, email=user.email)
        await self._uow.commit()


class CreateUser:
    """Operator path (CLI): a verified account with any role, e.g. the first admin.

    The operator only (the CLI; no principal, so never reachable over HTTP); raises ValidationError or
    WeakPasswordError for a bad email or password and EmailTakenError (409).
    """

    def __init__(self, accounts: AccountFactory, auditor: Auditor, uow: UnitOfWork) -> None:
        self._accounts = accounts
        self._auditor = auditor
        self._uow = uow

    async def execute(self, account: NewAccount) -> User:
        user = await self._accounts.create(account)
        await self._auditor.record(AuditAction.USER_REGISTERED, subject_id=user.id, via="cli", role=user.role.value)
        await self._uow.commit()
        return user
