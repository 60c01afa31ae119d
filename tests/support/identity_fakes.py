"""In-memory fakes of the identity ports, faithful to their contracts (uniqueness, atomic spend)."""

from __future__ import annotations

import builtins
import hashlib
import itertools
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from application.identity.policy import IdentityPolicy
from application.identity.ports import (
    AccessClaims,
    AccessToken,
    AuditQuery,
    EmailMessage,
    OneTimeToken,
    RefreshTokenRecord,
    SpendOutcome,
    SpendStatus,
    UserQuery,
)
from application.shared.ports import Page
from domain.identity.errors import EmailTakenError, IdentityTakenError, InvalidTokenError
from domain.identity.mfa import MfaEnrolment
from domain.identity.models import ApiKey, AuditEvent, AuthSession, ExternalIdentity, TokenPurpose, User
from domain.identity.roles import Role


class SequentialIds:
    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new_id(self) -> UUID:
        return UUID(int=next(self._counter))


class MovableClock:
    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.commits = 0
        self.rollbacks = 0

    async def commit(self) -> None:
        self.commits += 1

    async def rollback(self) -> None:
        self.rollbacks += 1


class InMemoryUsers:
    def __init__(self) -> None:
        self.rows: dict[UUID, User] = {}

    async def add(self, user: User) -> None:
        if any(existing.email == user.email for existing in self.rows.values()):
            raise EmailTakenError()
        self.rows[user.id] = user

    async def get(self, user_id: UUID) -> User | None:
        return self.rows.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        return next((user for user in self.rows.values() if user.email == email), None)

    async def save(self, user: User) -> None:
        self.rows[user.id] = user

    async def delete(self, user_id: UUID) -> None:
        self.rows.pop(user_id, None)

    async def list(self, query: UserQuery) -> Page[User]:
        users = [
            u
            for u in self.rows.values()
            if (query.role is None or u.role == query.role)
            and (query.is_active is None or u.is_active == query.is_active)
            and (not query.q or query.q.lower() in u.email or query.q.lower() in u.display_name.lower())
        ]
        page = query.page
        return Page(users[page.offset : page.offset + page.limit], len(users), page.limit, page.offset)


class InMemorySessionHolders:
    def __init__(self, sessions: InMemorySessions, users: InMemoryUsers, mfa: InMemoryMfa | None = None) -> None:
        self._sessions = sessions
        self._users = users
        self._mfa = mfa

    async def get_with_user(self, session_id: UUID) -> tuple[AuthSession, User, bool] | None:
        session = await self._sessions.get(session_id)
        user = None if session is None else await self._users.get(session.user_id)
        if session is None or user is None:
            return None
        enrolment = None if self._mfa is None else self._mfa.rows.get(user.id)
        return session, user, enrolment is not None and enrolment.is_active


class InMemorySessions:
    def __init__(self) -> None:
        self.rows: dict[UUID, AuthSession] = {}

    async def add(self, session: AuthSession) -> None:
        self.rows[session.id] = session

    async def get(self, session_id: UUID) -> AuthSession | None:
        return self.rows.get(session_id)

    async def list_active(self, user_id: UUID, now: datetime) -> list[AuthSession]:
        return [s for s in self.rows.values() if s.user_id == user_id and s.is_active(now)]

    async def touch(self, session_id: UUID, now: datetime, expires_at: datetime) -> None:
        self.rows[session_id] = replace(self.rows[session_id], last_used_at=now, expires_at=expires_at)

    async def revoke(self, session_id: UUID, now: datetime, reason: str) -> bool:
        session = self.rows.get(session_id)
        if session is None or session.revoked_at is not None:
            return False
        self.rows[session_id] = replace(session, revoked_at=now, revoked_reason=reason)
        return True

    async def purge(self, ended_before: datetime) -> int:
        ended = [
            s.id
            for s in self.rows.values()
            if s.expires_at < ended_before or (s.revoked_at is not None and s.revoked_at < ended_before)
        ]
        for session_id in ended:
            del self.rows[session_id]
        return len(ended)

    async def record_mfa(self, session_id: UUID, now: datetime) -> None:
        session = self.rows[session_id]
        amr = session.amr if "otp" in session.amr else (*session.amr, "otp")
        self.rows[session_id] = replace(session, amr=amr, mfa_at=now)

    async def revoke_all(self, user_id: UUID, now: datetime, reason: str, *, keep: UUID | None = None) -> int:
        targets = [s.id for s in self.rows.values() if s.user_id == user_id and s.revoked_at is None and s.id != keep]
        for session_id in targets:
            await self.revoke(session_id, now, reason)
        return len(targets)


class InMemoryRefreshTokens:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[RefreshTokenRecord, datetime | None]] = {}

    async def add(self, token: RefreshTokenRecord) -> None:
        self.rows[token.token_hash] = (token, None)

    async def spend(self, token_hash: str, now: datetime) -> SpendOutcome:
        entry = self.rows.get(token_hash)
        if entry is None:
            return SpendOutcome(SpendStatus.UNKNOWN)
        token, used_at = entry
        if used_at is not None:
            return SpendOutcome(SpendStatus.REUSED, token.session_id)
        self.rows[token_hash] = (token, now)
        status = SpendStatus.SPENT if token.expires_at > now else SpendStatus.EXPIRED
        return SpendOutcome(status, token.session_id)

    async def session_of(self, token_hash: str) -> UUID | None:
        entry = self.rows.get(token_hash)
        return None if entry is None else entry[0].session_id


class InMemoryOneTimeTokens:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[OneTimeToken, datetime | None]] = {}

    async def add(self, token: OneTimeToken) -> None:
        self.rows[token.token_hash] = (token, None)

    async def consume(self, purpose: TokenPurpose, token_hash: str, now: datetime) -> UUID | None:
        entry = self.rows.get(token_hash)
        if entry is None:
            return None
        token, used_at = entry
        if used_at is not None or token.purpose is not purpose or token.expires_at <= now:
            return None
        self.rows[token_hash] = (token, now)
        return token.user_id

    async def purge(self, expired_before: datetime) -> int:
        old = [
            key
            for key, (token, used_at) in self.rows.items()
            if token.expires_at < expired_before or (used_at is not None and used_at < expired_before)
        ]
        for key in old:
            del self.rows[key]
        return len(old)

    async def find(self, purpose: TokenPurpose, token_hash: str, now: datetime) -> OneTimeToken | None:
        entry = self.rows.get(token_hash)
        if entry is None or entry[1] is not None or entry[0].purpose is not purpose or entry[0].expires_at <= now:
            return None
        return entry[0]

    async def discard_all(self, user_id: UUID, purpose: TokenPurpose, now: datetime) -> None:
        for key, (token, used_at) in list(self.rows.items()):
            if token.user_id == user_id and token.purpose is purpose and used_at is None:
                self.rows[key] = (token, now)


class InMemoryApiKeys:
    def __init__(self) -> None:
        self.rows: dict[UUID, ApiKey] = {}

    async def add(self, key: ApiKey) -> None:
        self.rows[key.id] = key

    async def get(self, key_id: UUID) -> ApiKey | None:
        return self.rows.get(key_id)

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        return next((k for k in self.rows.values() if k.prefix == prefix), None)

    async def list_for_user(self, user_id: UUID) -> list[ApiKey]:
        return [k for k in self.rows.values() if k.user_id == user_id]

    async def revoke(self, key_id: UUID, now: datetime) -> bool:
        key = self.rows.get(key_id)
        if key is None or key.revoked_at is not None:
            return False
        self.rows[key_id] = replace(key, revoked_at=now)
        return True

    async def revoke_all(self, user_id: UUID, now: datetime) -> int:
        targets = [k.id for k in self.rows.values() if k.user_id == user_id and k.revoked_at is None]
        for key_id in targets:
            await self.revoke(key_id, now)
        return len(targets)

    async def touch(self, key_id: UUID, now: datetime) -> None:
        self.rows[key_id] = replace(self.rows[key_id], last_used_at=now)

    async def mark_first_use(self, key_id: UUID, now: datetime) -> bool:
        if self.rows[key_id].last_used_at is not None:
            return False
        await self.touch(key_id, now)
        return True


class InMemoryAuditLog:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    async def record(self, event: AuditEvent) -> None:
        self.events.append(event)

    async def list(self, query: AuditQuery) -> Page[AuditEvent]:
        events = [e for e in self.events if query.action is None or e.action == query.action]
        return Page(events, len(events), query.page.limit, query.page.offset)

    def actions(self) -> builtins.list[str]:
        return [event.action.value for event in self.events]


class FakeHasher:
    """Deterministic and instant; ``scheme`` lets a test make old hashes look outdated."""

    def __init__(self, scheme: str = "v2") -> None:
        self.scheme = scheme
        self.verifications: list[str] = []

    @property
    def dummy_hash(self) -> str:
        return f"{self.scheme}$dummy"

    async def hash(self, password: str) -> str:
        return f"{self.scheme}${password}"

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verifications.append(password_hash)
        return password_hash.split("$", 1)[1] == password

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"{self.scheme}$")


class FakeTokenCodec:
    def issue(
        self, user_id: UUID, role: Role, session_id: UUID, now: datetime, *, amr: Sequence[str] = ()
    ) -> AccessToken:
        return AccessToken(token=f"at.{user_id}.{session_id}.{role.value}", expires_in=900)

    def decode(self, token: str) -> AccessClaims:
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != "at":
            raise InvalidTokenError()
        try:
            return AccessClaims(UUID(parts[1]), UUID(parts[2]), Role(parts[3]), token_id="t")
        except ValueError as exc:
            raise InvalidTokenError() from exc


class CountingSecrets:
    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def generate(self) -> str:
        return f"secret{next(self._counter):04d}" + "x" * 40

    def digest(self, secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()


class CapturingOutbox:
    def __init__(self, *, fail: bool = False) -> None:
        self.sent: list[EmailMessage] = []
        self._fail = fail

    async def send_later(self, message: EmailMessage) -> None:
        if self._fail:
            raise ConnectionError("queue down")
        self.sent.append(message)

    def token_for(self, to: str) -> str:
        message = next(m for m in reversed(self.sent) if m.to == to)
        return token_in(message.text)


def token_in(text: str) -> str:
    """The token carried by a verification or reset link in an email body."""
    match = re.search(r"\?token=([A-Za-z0-9_\-]+)", text)
    assert match is not None, text
    return match.group(1)


class InMemoryLimiter:
    def __init__(self) -> None:
        self.failures: dict[str, int] = {}

    async def retry_after(self, key: str, limit: int, window_seconds: int) -> int | None:
        return window_seconds if self.failures.get(key, 0) >= limit else None

    async def record_failure(self, key: str, window_seconds: int) -> None:
        self.failures[key] = self.failures.get(key, 0) + 1

    async def clear(self, key: str) -> None:
        self.failures.pop(key, None)


POLICY = IdentityPolicy(public_url="https://lore.test")


class InMemoryMfa:
    def __init__(self) -> None:
        self.rows: dict[UUID, MfaEnrolment] = {}
        self.codes: dict[UUID, dict[str, datetime | None]] = {}

    async def get(self, user_id: UUID) -> MfaEnrolment | None:
        return self.rows.get(user_id)

    async def save(self, enrolment: MfaEnrolment) -> None:
        self.rows[enrolment.user_id] = enrolment

    async def delete(self, user_id: UUID) -> bool:
        self.codes.pop(user_id, None)
        return self.rows.pop(user_id, None) is not None

    async def claim_step(self, user_id: UUID, step: int) -> bool:
        enrolment = self.rows.get(user_id)
        if enrolment is None or (enrolment.last_used_step is not None and enrolment.last_used_step >= step):
            return False
        self.rows[user_id] = replace(enrolment, last_used_step=step)
        return True

    async def replace_recovery_codes(self, user_id: UUID, code_hashes: Sequence[str], now: datetime) -> None:
        self.codes[user_id] = dict.fromkeys(code_hashes)

    async def use_recovery_code(self, user_id: UUID, code_hash: str, now: datetime) -> bool:
        codes = self.codes.get(user_id, {})
        if code_hash not in codes or codes[code_hash] is not None:
            return False
        codes[code_hash] = now
        return True

    async def count_recovery_codes(self, user_id: UUID) -> int:
        return sum(1 for used in self.codes.get(user_id, {}).values() if used is None)


class FakeTotp:
    """Codes are ``secret``-independent: ``code_for(step)`` is the code of a step, ``step`` is "now"."""

    def __init__(self) -> None:
        self.step = 1000

    def new_secret(self) -> str:
        return "JBSWY3DPEHPK3PXP"

    def provisioning_uri(self, secret: str, *, account: str, issuer: str) -> str:
        return f"otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}"

    def code_for(self, step: int) -> str:
        return f"{step % 1_000_000:06d}"

    def matching_step(self, secret: str, code: str) -> int | None:
        return next((s for s in (self.step - 1, self.step, self.step + 1) if self.code_for(s) == code), None)


class PlainSecretBox:
    def seal(self, secret: str, *, context: str) -> str:
        return f"{context}|{secret}"

    def open(self, sealed: str, *, context: str) -> str:
        owner, _, secret = sealed.partition("|")
        assert owner == context
        return secret

    def code_digest(self, code: str) -> str:
        return hashlib.sha256(code.encode()).hexdigest()


class InMemoryIdentities:
    def __init__(self) -> None:
        self.rows: dict[UUID, ExternalIdentity] = {}

    async def add(self, identity: ExternalIdentity) -> None:
        if await self.find(identity.provider, identity.subject) is not None:
            raise IdentityTakenError()
        self.rows[identity.id] = identity

    async def get(self, identity_id: UUID) -> ExternalIdentity | None:
        return self.rows.get(identity_id)

    async def find(self, provider: str, subject: str) -> ExternalIdentity | None:
        return next((i for i in self.rows.values() if (i.provider, i.subject) == (provider, subject)), None)

    async def list_for_user(self, user_id: UUID) -> list[ExternalIdentity]:
        return [i for i in self.rows.values() if i.user_id == user_id]

    async def delete(self, identity_id: UUID) -> None:
        self.rows.pop(identity_id, None)
