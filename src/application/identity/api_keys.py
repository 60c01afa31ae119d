"""Scoped API keys: shown once, stored as a digest, never above the owner's rights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.identity.audit import Auditor
from application.identity.ports import ApiKeyDirectory, ApiKeyRepository, SecretTokens, UserRepository
from application.shared.ports import Clock, IdGenerator, UnitOfWork
from domain.identity.errors import ScopeExceedsRoleError
from domain.identity.models import ApiKey, AuditAction
from domain.identity.principal import Principal
from domain.identity.roles import Permission
from domain.shared.errors import NotFoundError, ValidationError

KEY_PREFIX = "lore_"
PREFIX_LENGTH = 12
MAX_KEY_NAME_LENGTH = 100


@dataclass(frozen=True, slots=True)
class NewApiKey:
    name: str
    scopes: frozenset[Permission]
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    key: ApiKey
    secret: str


def split_key(secret: str) -> tuple[str, str] | None:
    """``lore_<prefix>_<random>`` -> (prefix, secret); None when it is not shaped like a key."""
    if not secret.startswith(KEY_PREFIX):
        return None
    prefix, sep, rest = secret[len(KEY_PREFIX) :].partition("_")
    if not sep or len(prefix) != PREFIX_LENGTH or not rest:
        return None
    return prefix, secret


class CreateApiKey:
    """Creates an API key for the caller with scopes within their role; the secret is shown only in the result.

    A signed-in person (never an API key) who, when the account has MFA, passed it recently: raises
    InteractiveSessionRequiredError, MfaRequiredError (401, step up first), ValidationError (name, no scopes, an
    expiry in the past) and ScopeExceedsRoleError (403) for a scope the role lacks.
    """

    def __init__(
        self,
        users: UserRepository,
        keys: ApiKeyRepository,
        secrets: SecretTokens,
        auditor: Auditor,
        uow: UnitOfWork,
        ids: IdGenerator,
        clock: Clock,
    ) -> None:
        self._users = users
        self._keys = keys
        self._secrets = secrets
        self._auditor = auditor
        self._uow = uow
        self._ids = ids
        self._clock = clock

    async def execute(self, principal: Principal, request: NewApiKey) -> CreatedApiKey:
        principal.require_interactive()
        principal.require_recent_mfa()
        name = " ".join(request.name.split())
        if not 1 <= len(name) <= MAX_KEY_NAME_LENGTH:
            raise ValidationError(
                f"The key name must be 1 to {MAX_KEY_NAME_LENGTH} characters.", details={"field": "name"}
            )
        if not request.scopes:
            raise ValidationError("Give the key at least one scope.", details={"field": "scopes"})
        beyond = request.scopes - principal.permissions
        if beyond:
            raise ScopeExceedsRoleError(details={"scopes": sorted(scope.value for scope in beyond)})
        now = self._clock.now()
        if request.expires_at is not None and request.expires_at <= now:
            raise ValidationError("The expiry must be in the future.", details={"field": "expires_at"})
        prefix = self._secrets.generate().replace("-", "").replace("_", "")[:PREFIX_LENGTH].lower()
        secret = f"{KEY_PREFIX}{prefix}_{self._secrets.generate()}"
        key = ApiKey(
            id=self._ids.new_id(),
            user_id=principal.user_id,
            name=name,
            prefix=prefix,
            secret_hash=self._secrets.digest(secret),
            scopes=request.scopes,
            created_at=now,
            expires_at=request.expires_at,
        )
        await self._keys.add(key)
        await self._auditor.record(
            AuditAction.API_KEY_CREATED,
            actor=principal,
            subject_id=principal.user_id,
            target=("api_key", key.id),
            api_key_id=str(key.id),
            scopes=sorted(scope.value for scope in key.scopes),
        )
        await self._uow.commit()
        return CreatedApiKey(key, secret)


class ListApiKeys:
    """The API keys of the caller or, with ``user_id``, of another user.

    One's own keys need a signed-in session (InteractiveSessionRequiredError otherwise); another user's need
    ``users:read`` (PermissionDeniedError otherwise).
    """

    def __init__(self, keys: ApiKeyDirectory) -> None:
        self._keys = keys

    async def execute(self, principal: Principal, user_id: UUID | None = None) -> list[ApiKey]:
        owner = principal.user_id if user_id is None else user_id
        if owner != principal.user_id:
            principal.require(Permission.USERS_READ)
        else:
            principal.require_interactive()
        return await self._keys.list_for_user(owner)


class RevokeApiKey:
    """Revokes an API key; revoking one already revoked is a no-op.

    Its owner from a signed-in session, or a principal with ``users:write``; raises
    InteractiveSessionRequiredError (the owner over an API key) and NotFoundError for a key that is missing or
    not the caller's to revoke.
    """

    def __init__(self, keys: ApiKeyRepository, auditor: Auditor, uow: UnitOfWork, clock: Clock) -> None:
        self._keys = keys
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def execute(self, principal: Principal, key_id: UUID) -> None:
        key = await self._keys.get(key_id)
        is_owner = key is not None and key.user_id == principal.user_id
        if is_owner:
            principal.require_interactive()
        if key is None or not (is_owner or principal.can(Permission.USERS_WRITE)):
            raise NotFoundError("No such API key.")
        if await self._keys.revoke(key_id, self._clock.now()):
            await self._auditor.record(
                AuditAction.API_KEY_REVOKED,
                actor=principal,
                subject_id=key.user_id,
                target=("api_key", key_id),
                api_key_id=str(key_id),
            )
        await self._uow.commit()
