"""Identity entities. Secrets never live here in clear: only hashes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.identity.roles import Permission, Role, permissions_of
from domain.shared.errors import ValidationError

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_LENGTH = 254


def normalize_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        raise ValidationError("Enter a valid email address.", code="INVALID_EMAIL", details={"field": "email"})
    return email


MAX_DISPLAY_NAME_LENGTH = 100


def normalize_display_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not 1 <= len(name) <= MAX_DISPLAY_NAME_LENGTH:
        raise ValidationError(
            f"The display name must be 1 to {MAX_DISPLAY_NAME_LENGTH} characters.",
            code="INVALID_DISPLAY_NAME",
            details={"field": "display_name"},
        )
    return name


@dataclass(frozen=True, slots=True)
class User:
    id: UUID
    email: str
    display_name: str
    password_hash: str | None  # None: no password (an account made by an OpenID Connect sign-in)
    role: Role
    is_active: bool
    email_verified_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_of(self.role)

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    def with_changes(self, **changes: object) -> User:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class AuthSession:
    """One sign-in: the family of rotating refresh tokens it issued (RFC 9700 4.14)."""

    id: UUID
    user_id: UUID
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str | None = None
    ip_address: str | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    amr: tuple[str, ...] = ("pwd",)  # how the session was proven (RFC 8176): "pwd", then "otp" once MFA passed
    mfa_at: datetime | None = None  # the last time this session passed a second factor (sign-in or step-up)

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


@dataclass(frozen=True, slots=True)
class ExternalIdentity:
    """An account at an OpenID Connect provider that signs a user in: ``subject`` is the provider's ``sub``."""

    id: UUID
    user_id: UUID
    provider: str
    subject: str
    email: str | None
    linked_at: datetime


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"
    MFA_CHALLENGE = "mfa_challenge"  # the password step of a sign-in with MFA; spent by the code step


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: UUID
    user_id: UUID
    name: str
    prefix: str
    secret_hash: str
    scopes: frozenset[Permission]
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AuditAction(StrEnum):
    USER_REGISTERED = "user.registered"
    EMAIL_VERIFIED = "user.email_verified"
    LOGIN_SUCCEEDED = "auth.login_succeeded"
    LOGIN_FAILED = "auth.login_failed"
    TOKEN_REUSED = "auth.refresh_token_reused"
    LOGOUT = "auth.logout"
    LOGOUT_ALL = "auth.logout_all"
    SESSION_REVOKED = "auth.session_revoked"
    PASSWORD_CHANGED = "user.password_changed"
    PASSWORD_RESET = "user.password_reset"
    PASSWORD_RESET_REQUESTED = "user.password_reset_requested"
    ROLE_CHANGED = "user.role_changed"
    USER_UPDATED = "user.updated"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_DELETED = "user.deleted"
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    API_KEY_FIRST_USED = "api_key.first_used"
    LOGIN_BLOCKED = "auth.login_blocked"
    COLLECTION_CREATED = "collection.created"
    COLLECTION_UPDATED = "collection.updated"
    COLLECTION_DELETED = "collection.deleted"
    MEMBER_ADDED = "collection.member_added"
    MEMBER_ROLE_CHANGED = "collection.member_role_changed"
    MEMBER_REMOVED = "collection.member_removed"
    DOCUMENT_DELETED = "document.deleted"
    MFA_ENABLED = "mfa.enabled"
    MFA_DISABLED = "mfa.disabled"
    MFA_RESET = "mfa.reset"
    MFA_RECOVERY_CODES_REGENERATED = "mfa.recovery_codes_regenerated"
    MFA_RECOVERY_CODE_USED = "mfa.recovery_code_used"
    MFA_FAILED = "auth.mfa_failed"
    MFA_STEP_UP = "auth.mfa_step_up"
    IDENTITY_LINKED = "user.identity_linked"
    IDENTITY_UNLINKED = "user.identity_unlinked"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_DELETED = "webhook.deleted"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"
    WEBHOOK_DISABLED = "webhook.disabled"  # by the worker, once a delivery exhausted the retry schedule
    SIGNING_KEY_ADDED = "signing_key.added"  # `lore keys rotate`
    SIGNING_KEY_REMOVED = "signing_key.removed"  # `lore keys rotate|prune|remove`


class AuditOutcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"  # the attempt was wrong (a bad password)
    DENIED = "denied"  # the attempt was refused by a rule (throttled, unverified, deactivated)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: UUID
    action: AuditAction
    occurred_at: datetime
    actor_id: UUID | None = None
    subject_id: UUID | None = None
    ip_address: str | None = None
    details: dict[str, object] = field(default_factory=dict)
    actor_key_id: UUID | None = None  # the API key the actor used, if any
    request_id: str | None = None
    target_type: str | None = None  # "user", "collection", "document", "api_key"
    target_id: str | None = None
    outcome: AuditOutcome = AuditOutcome.SUCCESS
