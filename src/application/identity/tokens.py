"""Issuing sessions, token pairs and one-time tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.identity.policy import IdentityPolicy
from application.identity.ports import (
    AccessTokenCodec,
    OneTimeToken,
    OneTimeTokenRepository,
    RefreshTokenRecord,
    RefreshTokenRepository,
    SecretTokens,
    SessionRepository,
)
from application.shared.ports import Clock, IdGenerator
from domain.identity.mfa import AMR_PASSWORD
from domain.identity.models import AuthSession, TokenPurpose, User


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: UUID


class SessionIssuer:
    def __init__(
        self,
        sessions: SessionRepository,
        refresh_tokens: RefreshTokenRepository,
        codec: AccessTokenCodec,
        secrets: SecretTokens,
        ids: IdGenerator,
        clock: Clock,
        policy: IdentityPolicy,
    ) -> None:
        self._sessions = sessions
        self._refresh_tokens = refresh_tokens
        self._codec = codec
        self._secrets = secrets
        self._ids = ids
        self._clock = clock
        self._policy = policy

    async def start(
        self,
        user: User,
        *,
        ip_address: str | None,
        user_agent: str | None,
        amr: tuple[str, ...] = (AMR_PASSWORD,),
        mfa_at: datetime | None = None,
    ) -> TokenPair:
        """A new session proven by ``amr``; ``mfa_at`` is when it passed a second factor, if it did."""
        now = self._clock.now()
        session = AuthSession(
            id=self._ids.new_id(),
            user_id=user.id,
            created_at=now,
            last_used_at=now,
            expires_at=now + self._policy.refresh_token_ttl,
            user_agent=(user_agent or None) and user_agent[:300],
            ip_address=ip_address,
            amr=amr,
            mfa_at=mfa_at,
        )
        await self._sessions.add(session)
        return await self.rotate(user, session.id, amr=amr)

    async def rotate(self, user: User, session_id: UUID, *, amr: Sequence[str] = (AMR_PASSWORD,)) -> TokenPair:
        """A new refresh token in the same session (family) and a new access token."""
        now = self._clock.now()
        expires_at = now + self._policy.refresh_token_ttl
        refresh = self._secrets.generate()
        await self._refresh_tokens.add(
            RefreshTokenRecord(
                id=self._ids.new_id(),
                session_id=session_id,
                token_hash=self._secrets.digest(refresh),
                created_at=now,
                expires_at=expires_at,
            )
        )
        await self._sessions.touch(session_id, now, expires_at)
        access = self._codec.issue(user.id, user.role, session_id, now, amr=amr)
        return TokenPair(access.token, refresh, access.expires_in, session_id)


class OneTimeTokens:
    """Single-use tokens for email verification and password reset; only their digest is stored."""

    def __init__(
        self, repository: OneTimeTokenRepository, secrets: SecretTokens, ids: IdGenerator, clock: Clock
    ) -> None:
        self._repository = repository
        self._secrets = secrets
        self._ids = ids
        self._clock = clock

    async def issue(self, user: User, purpose: TokenPurpose, ttl: timedelta, *, first_factor: str | None = None) -> str:
        """A new token; it replaces any unused one of the same purpose, so only the latest link works.

        ``first_factor`` is for an MFA challenge: how its first step was proven, for the session's ``amr``.
        """
        now = self._clock.now()
        await self._repository.discard_all(user.id, purpose, now)
        secret = self._secrets.generate()
        await self._repository.add(
            OneTimeToken(
                id=self._ids.new_id(),
                user_id=user.id,
                purpose=purpose,
                token_hash=self._secrets.digest(secret),
                created_at=now,
                expires_at=now + ttl,
                first_factor=first_factor,
            )
        )
        return secret

    async def find(self, purpose: TokenPurpose, secret: str) -> OneTimeToken | None:
        """The unexpired, unused token of this secret, left unused."""
        return await self._repository.find(purpose, self._secrets.digest(secret), self._clock.now())

    async def consume(self, purpose: TokenPurpose, secret: str) -> UUID | None:
        return await self._repository.consume(purpose, self._secrets.digest(secret), self._clock.now())

    async def discard_all(self, user_id: UUID, purpose: TokenPurpose) -> None:
        await self._repository.discard_all(user_id, purpose, self._clock.now())
