"""Sign-in, refresh-token rotation with reuse detection (RFC 9700), and sign-out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from application.identity.audit import Auditor
from application.identity.policy import IdentityPolicy
from application.identity.ports import (
    AttemptLimiter,
    MfaRepository,
    PasswordHasher,
    RefreshTokenRepository,
    SecretTokens,
    SessionRepository,
    SpendStatus,
    UserRepository,
)
from application.identity.tokens import OneTimeTokens, SessionIssuer, TokenPair
from application.shared.ports import Clock, UnitOfWork
from domain.identity.errors import (
    AccountDisabledError,
    EmailNotVerifiedError,
    InvalidCredentialsError,
    InvalidTokenError,
    TokenReusedError,
    TooManyAttemptsError,
)
from domain.identity.mfa import AMR_PASSWORD
from domain.identity.models import AuditAction, AuditOutcome, TokenPurpose, User, normalize_email
from domain.identity.principal import Principal
from domain.shared.errors import ValidationError


@dataclass(frozen=True, slots=True)
class Credentials:
    email: str
    password: str
    ip_address: str | None = None
    user_agent: str | None = None


class LoginThrottle:
    """Failed sign-ins counted per account and per client address."""

    def __init__(self, limiter: AttemptLimiter, policy: IdentityPolicy) -> None:
        self._limiter = limiter
        self._policy = policy

    def _keys(self, email: str, ip_address: str | None) -> list[tuple[str, int]]:
        keys = [(f"login:account:{email}", self._policy.login_account_limit)]
        if ip_address:
            keys.append((f"login:ip:{ip_address}", self._policy.login_ip_limit))
        return keys

    async def check(self, email: str, ip_address: str | None) -> None:
        window = self._policy.login_window_seconds
        waits = [await self._limiter.retry_after(key, limit, window) for key, limit in self._keys(email, ip_address)]
        blocked = [wait for wait in waits if wait is not None]
        if blocked:
            raise TooManyAttemptsError(max(blocked))

    async def failed(self, email: str, ip_address: str | None) -> None:
        for key, _limit in self._keys(email, ip_address):
            await self._limiter.record_failure(key, self._policy.login_window_seconds)

    async def succeeded(self, email: str) -> None:
        await self._limiter.clear(f"login:account:{email}")


class MailThrottle:
    """Caps requests that send email, so the API cannot be used to flood an inbox.

    Every attempt counts, whether or not the account exists, so a 429 reveals nothing about accounts.
    """

    def __init__(self, limiter: AttemptLimiter, policy: IdentityPolicy) -> None:
        self._limiter = limiter
        self._policy = policy

    async def admit(self, action: str, *, email: str | None, ip_address: str | None) -> None:
        keys = []
        if ip_address:
            keys.append((f"{action}:ip:{ip_address}", self._policy.mail_ip_limit))
        if email:
            keys.append((f"{action}:email:{email.strip().lower()[:254]}", self._policy.mail_email_limit))
        window = self._policy.mail_window_seconds
        for key, limit in keys:
            wait = await self._limiter.retry_after(key, limit, window)
            if wait is not None:
                raise TooManyAttemptsError(wait, "Too many requests of this kind. Try again later.")
        for key, _ in keys:
            await self._limiter.record_failure(key, window)


@dataclass(frozen=True, slots=True)
class MfaChallenge:
    """The first step (a password, or an OpenID Connect provider) passed and the account has MFA: the code
    step (CompleteMfaLogin) spends this token.

    It is opaque and stored only as a digest, so it can never pass as an access token or an API key.
    """

    token: str
    expires_in: int


class Login:
    """Checks email and password and opens a session with an access and a refresh token, or, for an account
    with MFA, answers an MFA challenge for the code step (CompleteMfaLogin).

    Anyone (no principal); raises TooManyAttemptsError (429, by address and IP), InvalidCredentialsError (401,
    the same for an unknown email and a wrong password), AccountDisabledError and EmailNotVerifiedError (403).
    """

    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        throttle: LoginThrottle,
        issuer: SessionIssuer,
        mfa: MfaRepository,
        challenges: OneTimeTokens,
        auditor: Auditor,
        uow: UnitOfWork,
        clock: Clock,
        policy: IdentityPolicy,
    ) -> None:
        self._users = users
        self._hasher = hasher
        self._throttle = throttle
        self._issuer = issuer
        self._mfa = mfa
        self._challenges = challenges
        self._auditor = auditor
        self._uow = uow
        self._clock = clock
        self._policy = policy

    async def execute(self, credentials: Credentials) -> TokenPair | MfaChallenge:
        try:
            email = normalize_email(credentials.email)
        except ValidationError:
            email = credentials.email.strip().lower()[:254]
        ip = credentials.ip_address
        try:
            await self._throttle.check(email, ip)
        except TooManyAttemptsError:
            await self._blocked(email, ip, None, "throttled")
            raise
        user = await self._users.get_by_email(email)
        if user is None:
            # spend the same time as a real check so unknown emails cannot be told apart
            await self._hasher.verify(self._hasher.dummy_hash, credentials.password)
            await self._fail(email, ip, None)
        elif not await self._hasher.verify(user.password_hash or self._hasher.dummy_hash, credentials.password):
            await self._fail(email, ip, user)  # an account without a password (OIDC-made) fails like a wrong one
        if not user.is_active:
            await self._blocked(email, ip, user, "account_disabled")
            raise AccountDisabledError()
        if not user.is_verified:
            await self._blocked(email, ip, user, "email_not_verified")
            raise EmailNotVerifiedError()
        if user.password_hash is not None and self._hasher.needs_rehash(user.password_hash):
            user = user.with_changes(password_hash=await self._hasher.hash(credentials.password))
            await self._users.save(user)
        enrolment = await self._mfa.get(user.id)
        if enrolment is not None and enrolment.is_active:
            # the failure count is kept until the code step passes: knowing the password must not reset
            # the budget for guessing codes
            ttl = self._policy.mfa_challenge_ttl
            challenge = await self._challenges.issue(user, TokenPurpose.MFA_CHALLENGE, ttl, first_factor=AMR_PASSWORD)
            await self._uow.commit()
            return MfaChallenge(challenge, int(ttl.total_seconds()))
        await self._throttle.succeeded(email)
        pair = await self._issuer.start(user, ip_address=ip, user_agent=credentials.user_agent)
        await self._auditor.record(
            AuditAction.LOGIN_SUCCEEDED,
            actor_id=user.id,
            subject_id=user.id,
            ip_address=ip,
            session_id=str(pair.session_id),
        )
        await self._uow.commit()
        return pair

    async def _fail(self, email: str, ip: str | None, user: User | None) -> NoReturn:
        await self._throttle.failed(email, ip)
        await self._auditor.record(
            AuditAction.LOGIN_FAILED,
            subject_id=None if user is None else user.id,
            ip_address=ip,
            outcome=AuditOutcome.FAILURE,
            email=email,
            reason="unknown_email" if user is None else "wrong_password",
        )
        await self._uow.commit()
        raise InvalidCredentialsError()

    async def _blocked(self, email: str, ip: str | None, user: User | None, reason: str) -> None:
        """A sign-in refused by a rule rather than by a wrong password; audited in its own commit."""
        await self._auditor.record(
            AuditAction.LOGIN_BLOCKED,
            subject_id=None if user is None else user.id,
            outcome=AuditOutcome.DENIED,
            ip_address=ip,
            email=email,
            reason=reason,
        )
        await self._uow.commit()


class RefreshTokens:
    """Spends a refresh token for a new token pair in the same session (rotation).

    Anyone holding a refresh token (no principal); raises InvalidTokenError for an unknown, expired or spent
    token or an ended session or account, and TokenReusedError when a spent token comes back, which also ends
    its session.
    """

    def __init__(
        self,
        users: UserRepository,
        sessions: SessionRepository,
        refresh_tokens: RefreshTokenRepository,
        secrets: SecretTokens,
        issuer: SessionIssuer,
        auditor: Auditor,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._refresh_tokens = refresh_tokens
        self._secrets = secrets
        self._issuer = issuer
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def execute(self, refresh_token: str, *, ip_address: str | None = None) -> TokenPair:
        now = self._clock.now()
        outcome = await self._refresh_tokens.spend(self._secrets.digest(refresh_token), now)
        if outcome.status is SpendStatus.REUSED and outcome.session_id is not None:
            session = await self._sessions.get(outcome.session_id)
            await self._sessions.revoke(outcome.session_id, now, "refresh_token_reused")
            await self._auditor.record(
                AuditAction.TOKEN_REUSED,
                subject_id=None if session is None else session.user_id,
                ip_address=ip_address,
                session_id=str(outcome.session_id),
            )
            await self._uow.commit()
            raise TokenReusedError()
        if outcome.status is not SpendStatus.SPENT or outcome.session_id is None:
            await self._uow.commit()  # an expired token stays spent
            raise InvalidTokenError()
        session = await self._sessions.get(outcome.session_id)
        user = None if session is None else await self._users.get(session.user_id)
        if session is None or not session.is_active(now) or user is None or not user.is_active:
            await self._uow.commit()
            raise InvalidTokenError()
        pair = await self._issuer.rotate(user, session.id, amr=session.amr)
        await self._uow.commit()
        return pair


class Logout:
    """Ends the session the refresh token belongs to; unknown tokens are a no-op (idempotent).

    Anyone holding a refresh token (no principal); raises nothing of its own.
    """

    def __init__(
        self,
        sessions: SessionRepository,
        refresh_tokens: RefreshTokenRepository,
        secrets: SecretTokens,
        auditor: Auditor,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._refresh_tokens = refresh_tokens
        self._secrets = secrets
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def execute(self, refresh_token: str) -> None:
        session_id = await self._refresh_tokens.session_of(self._secrets.digest(refresh_token))
        if session_id is None:
            return
        session = await self._sessions.get(session_id)
        if session is not None and await self._sessions.revoke(session_id, self._clock.now(), "logout"):
            await self._auditor.record(
                AuditAction.LOGOUT, actor_id=session.user_id, subject_id=session.user_id, session_id=str(session_id)
            )
        await self._uow.commit()


class LogoutAll:
    """Ends every session of the caller and says how many.

    A signed-in person (never an API key); raises InteractiveSessionRequiredError.
    """

    def __init__(self, sessions: SessionRepository, auditor: Auditor, uow: UnitOfWork, clock: Clock) -> None:
        self._sessions = sessions
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def execute(self, principal: Principal) -> int:
        principal.require_interactive()
        count = await self._sessions.revoke_all(principal.user_id, self._clock.now(), "logout_all")
        await self._auditor.record(
            AuditAction.LOGOUT_ALL, actor=principal, subject_id=principal.user_id, sessions=count
        )
        await self._uow.commit()
        return count
