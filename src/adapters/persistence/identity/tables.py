"""Identity tables. Secrets appear only as digests or argon2id hashes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from adapters.persistence.base import Base, DateTimeUTC, UUIDv7Base


class UserRow(UUIDv7Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'editor', 'member')", name="role"),)

    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored normalised (lower-case)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # NULL: no password (made by an OIDC sign-in)
    role: Mapped[str] = mapped_column(String(16), index=True)
    is_active: Mapped[bool] = mapped_column(index=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class AuthSessionRow(UUIDv7Base):
    __tablename__ = "auth_sessions"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    last_used_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(64))
    # RFC 8176 methods the session was proven with ("pwd", "otp") and the time of its last second factor
    amr: Mapped[list[str]] = mapped_column(ARRAY(String(16)), server_default=text("'{pwd}'::varchar[]"))
    mfa_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class RefreshTokenRow(UUIDv7Base):
    __tablename__ = "refresh_tokens"

    session_id: Mapped[UUID] = mapped_column(ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class OneTimeTokenRow(UUIDv7Base):
    __tablename__ = "one_time_tokens"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    # an MFA challenge: how its first step was proven ("pwd", "fed"), for the session the code step opens
    first_factor: Mapped[str | None] = mapped_column(String(16))


class UserIdentityRow(UUIDv7Base):
    """An OpenID Connect account (provider + its ``sub``) that signs a user in."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254))
    linked_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class ApiKeyRow(UUIDv7Base):
    __tablename__ = "api_keys"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class UserMfaRow(Base):
    """A user's TOTP enrolment; the secret only as AES-GCM ciphertext (adapters/security/mfa_secret_box.py)."""

    __tablename__ = "user_mfa"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    sealed_secret: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)


class MfaRecoveryCodeRow(UUIDv7Base):
    """Single-use recovery codes, as keyed digests; they go with the enrolment."""

    __tablename__ = "mfa_recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash", name="uq_mfa_recovery_codes_user_id_code_hash"),)

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_mfa.user_id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class AuditEventRow(UUIDv7Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_actor_occurred", "actor_id", "occurred_at"),)

    action: Mapped[str] = mapped_column(String(64), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    # no foreign keys: the trail outlives the users it mentions
    actor_id: Mapped[UUID | None] = mapped_column()
    subject_id: Mapped[UUID | None] = mapped_column(index=True)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB)
    actor_key_id: Mapped[UUID | None] = mapped_column()
    request_id: Mapped[str | None] = mapped_column(String(128))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    # the hash chain: row n hashes its own fields and row n-1's hash (see audit_chain.py)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


# one row (id 1): the newest link; appends lock it, so the chain has one writer at a time, and a deleted tail
# shows as a head that points past the last row
audit_chain_head = Table(
    "audit_chain_head",
    UUIDv7Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("row_hash", String(64), nullable=False),
)


# access-token signing keys (adapters/persistence/identity/signing_keys.py): every API process reads them; the
# private half is sealed with a key derived from JWT_SECRET, the public half is public
signing_keys = Table(
    "signing_keys",
    UUIDv7Base.metadata,
    Column("kid", String(64), primary_key=True),
    Column("algorithm", String(16), nullable=False),
    Column("public_key", LargeBinary, nullable=False),
    Column("private_key_sealed", LargeBinary, nullable=False),
    Column("created_at", DateTimeUTC(timezone=True), nullable=False),
    Column("activates_at", DateTimeUTC(timezone=True), nullable=False),
    Column("retired_at", DateTimeUTC(timezone=True), nullable=True),
)
