"""Ports the identity use cases need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from application.shared.ports import Page, PageRequest
from domain.identity.mfa import MfaEnrolment
from domain.identity.models import ApiKey, AuditAction, AuditEvent, AuthSession, ExternalIdentity, TokenPurpose, User
from domain.identity.roles import Role

# the fields a list may be sorted by (``sort=field`` or ``sort=-field``): the API checks them, the repositories map them
USER_SORTS = ("created_at", "email", "display_name", "role")
AUDIT_SORTS = ("occurred_at",)


@dataclass(frozen=True, slots=True)
class UserQuery:
    page: PageRequest
    role: Role | None = None
    is_active: bool | None = None
    q: str | None = None


class UserDirectory(Protocol):
    """The reads an operator's list needs: a port of its own so the CLI can serve it without the ORM."""

    async def get_by_email(self, email: str) -> User | None: ...

    async def list(self, query: UserQuery) -> Page[User]: ...


class UserRepository(UserDirectory, Protocol):
    async def add(self, user: User) -> None:
        """Insert; raises EmailTakenError when the email is already used."""
        ...

    async def get(self, user_id: UUID) -> User | None: ...

    async def save(self, user: User) -> None: ...

    async def delete(self, user_id: UUID) -> None: ...


class SessionRepository(Protocol):
    async def add(self, session: AuthSession) -> None: ...

    async def get(self, session_id: UUID) -> AuthSession | None: ...

    async def list_active(self, user_id: UUID, now: datetime) -> list[AuthSession]: ...

    async def touch(self, session_id: UUID, now: datetime, expires_at: datetime) -> None:
        """Record use and slide the expiry: a session lives as long as its newest refresh token."""
        ...

    async def revoke(self, session_id: UUID, now: datetime, reason: str) -> bool:
        """Revoke if still active; False when it already was."""
        ...

    async def revoke_all(self, user_id: UUID, now: datetime, reason: str, *, keep: UUID | None = None) -> int: ...

    async def record_mfa(self, session_id: UUID, now: datetime) -> None:
        """The session passed a second factor now: ``otp`` joins its amr and its MFA time moves to ``now``."""
        ...

    async def purge(self, ended_before: datetime) -> int:
        """Delete sessions (and their refresh tokens) that expired or were revoked before the cutoff."""
        ...


class SessionHolders(Protocol):
    async def get_with_user(self, session_id: UUID) -> tuple[AuthSession, User, bool] | None:
        """The session, the account holding it and whether that account has active MFA, read together:
        every request with an access token asks."""
        ...


@dataclass(frozen=True, slots=True)
class RefreshTokenRecord:
    id: UUID
    session_id: UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime


class SpendStatus(StrEnum):
    SPENT = "spent"
    REUSED = "reused"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SpendOutcome:
    status: SpendStatus
    session_id: UUID | None = None


class RefreshTokenRepository(Protocol):
    async def add(self, token: RefreshTokenRecord) -> None: ...

    async def spend(self, token_hash: str, now: datetime) -> SpendOutcome:
        """Mark the token used, atomically: of two concurrent calls exactly one gets SPENT."""
        ...

    async def session_of(self, token_hash: str) -> UUID | None: ...


@dataclass(frozen=True, slots=True)
class OneTimeToken:
    id: UUID
    user_id: UUID
    purpose: TokenPurpose
    token_hash: str
    created_at: datetime
    expires_at: datetime
    # an MFA challenge: how the first step was proven (an RFC 8176 amr value, "pwd" or "fed"); None otherwise
    first_factor: str | None = None


class OneTimeTokenRepository(Protocol):
    async def add(self, token: OneTimeToken) -> None: ...

    async def consume(self, purpose: TokenPurpose, token_hash: str, now: datetime) -> UUID | None:
        """Atomically use an unexpired, unused token; the owner's id, or None."""
        ...

    async def discard_all(self, user_id: UUID, purpose: TokenPurpose, now: datetime) -> None: ...

    async def find(self, purpose: TokenPurpose, token_hash: str, now: datetime) -> OneTimeToken | None:
        """An unexpired, unused token, without using it."""
        ...

    async def purge(self, expired_before: datetime) -> int: ...


class ApiKeyDirectory(Protocol):
    """Listing a user's keys, apart for the same reason as UserDirectory."""

    async def list_for_user(self, user_id: UUID) -> list[ApiKey]: ...


class ApiKeyRepository(ApiKeyDirectory, Protocol):
    async def add(self, key: ApiKey) -> None: ...

    async def get(self, key_id: UUID) -> ApiKey | None: ...

    async def get_by_prefix(self, prefix: str) -> ApiKey | None: ...

    async def revoke(self, key_id: UUID, now: datetime) -> bool: ...

    async def revoke_all(self, user_id: UUID, now: datetime) -> int: ...

    async def touch(self, key_id: UUID, now: datetime) -> None: ...

    async def mark_first_use(self, key_id: UUID, now: datetime) -> bool:
        """Stamps the first use of a key; True for the one caller that did (never used before)."""
        ...


@dataclass(frozen=True, slots=True)
class AuditQuery:
    page: PageRequest
    actor_id: UUID | None = None
    action: AuditAction | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditLog(Protocol):
    async def record(self, event: AuditEvent) -> None:
        """Appends the event to the hash chain in the caller's transaction."""
        ...

    async def list(self, query: AuditQuery) -> Page[AuditEvent]: ...


@dataclass(frozen=True, slots=True)
class BrokenLink:
    seq: int  # the position in the chain where it breaks
    event_id: UUID | None  # the row found there (None when the chain ends early)
    reason: str  # "edited", "missing", "relinked", "truncated"
    message: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    head_hash: str | None
    broken: BrokenLink | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None


class AuditChain(Protocol):
    async def verify(self) -> ChainReport: ...


class PasswordHasher(Protocol):
    @property
    def dummy_hash(self) -> str:
        """A valid hash of a random password: verifying against it costs what a real check costs."""
        ...

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: UUID
    session_id: UUID
    role: Role
    token_id: str


class AccessTokenCodec(Protocol):
    def issue(
        self, user_id: UUID, role: Role, session_id: UUID, now: datetime, *, amr: Sequence[str] = ()
    ) -> AccessToken: ...

    def decode(self, token: str) -> AccessClaims:
        """Raises InvalidTokenError for anything but a valid, current access token."""
        ...


class SecretTokens(Protocol):
    def generate(self) -> str:
        """An opaque, URL-safe secret of at least 256 bits from a CSPRNG."""
        ...

    def digest(self, secret: str) -> str:
        """The value stored in place of the secret."""
        ...


@dataclass(frozen=True, slots=True)
class EmailMessage:
    to: str
    subject: str
    text: str


class MailOutbox(Protocol):
    async def send_later(self, message: EmailMessage) -> None:
        """Hand the message to the worker for delivery."""
        ...


class Mailer(Protocol):
    async def deliver(self, message: EmailMessage) -> None: ...


class AttemptLimiter(Protocol):
    async def retry_after(self, key: str, limit: int, window_seconds: int) -> int | None:
        """Seconds until ``key`` may try again, or None while under ``limit``."""
        ...

    async def record_failure(self, key: str, window_seconds: int) -> None: ...

    async def clear(self, key: str) -> None: ...


class MfaRepository(Protocol):
    async def get(self, user_id: UUID) -> MfaEnrolment | None: ...

    async def save(self, enrolment: MfaEnrolment) -> None:
        """Insert or replace the user's enrolment (a new one replaces a pending one)."""
        ...

    async def delete(self, user_id: UUID) -> bool:
        """Remove the enrolment and every recovery code; False when there was none."""
        ...

    async def claim_step(self, user_id: UUID, step: int) -> bool:
        """Record ``step`` as used, atomically, only if it is later than the last one used: of two
        concurrent uses of one code exactly one gets True."""
        ...

    async def replace_recovery_codes(self, user_id: UUID, code_hashes: Sequence[str], now: datetime) -> None: ...

    async def use_recovery_code(self, user_id: UUID, code_hash: str, now: datetime) -> bool:
        """Spend an unused code, atomically; False for an unknown or spent one."""
        ...

    async def count_recovery_codes(self, user_id: UUID) -> int:
        """The unused ones."""
        ...


class Totp(Protocol):
    """RFC 6238 codes: 6 digits, 30-second steps, one step of drift either way."""

    def new_secret(self) -> str:
        """A base32 secret of 160 bits from a CSPRNG."""
        ...

    def provisioning_uri(self, secret: str, *, account: str, issuer: str) -> str: ...

    def matching_step(self, secret: str, code: str) -> int | None:
        """The time step whose code ``code`` is (now, one before or one after), or None."""
        ...


class MfaSecretBox(Protocol):
    """Keeps MFA secrets unreadable at rest."""

    def seal(self, secret: str, *, context: str) -> str:
        """Authenticated encryption; ``context`` (the user id) binds the ciphertext to its row."""
        ...

    def open(self, sealed: str, *, context: str) -> str: ...

    def code_digest(self, code: str) -> str:
        """A keyed digest of a recovery code: a database dump alone cannot be searched for codes."""
        ...


# OpenID Connect sign-in


class ExternalIdentityRepository(Protocol):
    async def add(self, identity: ExternalIdentity) -> None:
        """Insert; raises IdentityTakenError when the provider's subject is linked already."""
        ...

    async def get(self, identity_id: UUID) -> ExternalIdentity | None: ...

    async def find(self, provider: str, subject: str) -> ExternalIdentity | None: ...

    async def list_for_user(self, user_id: UUID) -> list[ExternalIdentity]: ...

    async def delete(self, identity_id: UUID) -> None: ...


@dataclass(frozen=True, slots=True)
class OidcProviderInfo:
    name: str  # in URLs: /auth/oidc/{name}/start
    display_name: str
    issuer: str = ""  # what an RFC 9207 `iss` on the callback must name


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """What the callback must match: the secrets sent to the provider with the user's browser."""

    state: str
    nonce: str
    code_verifier: str  # PKCE (RFC 7636); the provider gets its S256 challenge


@dataclass(frozen=True, slots=True)
class ProviderClaims:
    """The claims of a validated ID token (and userinfo when the token lacked the email)."""

    subject: str
    email: str | None
    email_verified: bool
    name: str | None


class OidcProvider(Protocol):
    @property
    def info(self) -> OidcProviderInfo: ...

    async def authorization_url(self, request: AuthorizationRequest) -> str:
        """The provider's authorization endpoint with client id, redirect URI, scopes, state, nonce and challenge.

        Raises DependencyUnavailableError when the provider's discovery document cannot be read.
        """
        ...

    async def claims(self, code: str, request: AuthorizationRequest) -> ProviderClaims:
        """Exchanges the code (with the PKCE verifier) and validates the ID token: signature by the provider's
        JWKS, iss, aud (and azp), exp, iat and nonce. Raises OidcCodeRefusedError, OidcIdTokenError and
        DependencyUnavailableError."""
        ...


class OidcProviders(Protocol):
    def list(self) -> list[OidcProviderInfo]: ...

    def get(self, name: str) -> OidcProvider | None: ...


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """A started sign-in, kept server-side until its callback: single use, short-lived."""

    provider: str
    nonce: str
    code_verifier: str
    binding_digest: str  # of the browser-binding cookie set by the start
    link_user_id: UUID | None = None  # a signed-in user linking a provider, not signing in


class PendingSignIns(Protocol):
    async def put(self, state_digest: str, pending: PendingSignIn, ttl_seconds: int) -> None: ...

    async def take(self, state_digest: str) -> PendingSignIn | None:
        """Atomically read and delete: a state works once."""
        ...
