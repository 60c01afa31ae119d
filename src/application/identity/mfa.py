"""TOTP multi-factor authentication: enrolment, recovery codes, step-up, disabling and the admin reset."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.identity.audit import Auditor
from application.identity.login import LoginThrottle
from application.identity.policy import IdentityPolicy
from application.identity.ports import (
    MfaRepository,
    MfaSecretBox,
    PasswordHasher,
    SessionRepository,
    Totp,
    UserRepository,
)
from application.shared.ports import Clock, UnitOfWork
from domain.identity.errors import (
    InvalidCurrentPasswordError,
    InvalidMfaCodeError,
    MfaAlreadyEnabledError,
    MfaNotEnabledError,
    RecentSignInRequiredError,
)
from domain.identity.mfa import (
    RECOVERY_CODE_ALPHABET,
    RECOVERY_CODE_COUNT,
    RECOVERY_CODE_LENGTH,
    MfaEnrolment,
    format_recovery_code,
    looks_like_totp,
    normalize_recovery_code,
)
from domain.identity.models import AuditAction, AuditOutcome, User
from domain.identity.principal import Principal
from domain.identity.roles import Permission
from domain.shared.errors import NotFoundError

TOTP_METHOD = "totp"
RECOVERY_METHOD = "recovery_code"


class SecondFactor:
    """Checks a code for an account: a TOTP code (each time step once) or an unused recovery code.

    Failed codes count against the same throttle as failed passwords (per account, and per address when
    known), so the code cannot be guessed faster than the password could.
    """

    def __init__(
        self,
        mfa: MfaRepository,
        totp: Totp,
        box: MfaSecretBox,
        throttle: LoginThrottle,
        auditor: Auditor,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._mfa = mfa
        self._totp = totp
        self._box = box
        self._throttle = throttle
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def active_enrolment(self, user_id: UUID) -> MfaEnrolment:
        enrolment = await self._mfa.get(user_id)
        if enrolment is None or not enrolment.is_active:
            raise MfaNotEnabledError()
        return enrolment

    async def check(self, user: User, enrolment: MfaEnrolment, code: str, *, ip_address: str | None = None) -> str:
        """The method that matched (``totp`` or ``recovery_code``); a wrong code is audited, throttled and
        committed before InvalidMfaCodeError, so nothing else of the caller's transaction must be pending."""
        await self._throttle.check(user.email, ip_address)
        method = await self._match(enrolment, code)
        if method is None:
            await self._throttle.failed(user.email, ip_address)
            await self._auditor.record(
                AuditAction.MFA_FAILED,
                subject_id=user.id,
                ip_address=ip_address,
                outcome=AuditOutcome.FAILURE,
            )
            await self._uow.commit()
            raise InvalidMfaCodeError()
        if method == RECOVERY_METHOD:
            await self._auditor.record(
                AuditAction.MFA_RECOVERY_CODE_USED,
                actor_id=user.id,
                subject_id=user.id,
                ip_address=ip_address,
                remaining=await self._mfa.count_recovery_codes(user.id),
            )
        return method

    async def first_step(self, enrolment: MfaEnrolment, code: str) -> int | None:
        """The time step of a first code for a pending enrolment (no recovery codes exist yet)."""
        return self._totp.matching_step(self._secret_of(enrolment), "".join(code.split()))

    async def _match(self, enrolment: MfaEnrolment, code: str) -> str | None:
        if looks_like_totp(code):
            step = self._totp.matching_step(self._secret_of(enrolment), "".join(code.split()))
            # the step is claimed atomically: a code seen once (even by a racing request) is refused
            if step is not None and await self._mfa.claim_step(enrolment.user_id, step):
                return TOTP_METHOD
            return None
        normalized = normalize_recovery_code(code)
        if len(normalized) != RECOVERY_CODE_LENGTH:
            return None
        if await self._mfa.use_recovery_code(enrolment.user_id, self._box.code_digest(normalized), self._clock.now()):
            return RECOVERY_METHOD
        return None

    def _secret_of(self, enrolment: MfaEnrolment) -> str:
        return self._box.open(enrolment.sealed_secret, context=str(enrolment.user_id))

    async def new_recovery_codes(self, user_id: UUID, now: datetime) -> list[str]:
        """Ten fresh codes replace any old ones; only their keyed digests are stored."""
        codes = [
            "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
            for _ in range(RECOVERY_CODE_COUNT)
        ]
        await self._mfa.replace_recovery_codes(user_id, [self._box.code_digest(code) for code in codes], now)
        return [format_recovery_code(code) for code in codes]


@dataclass(frozen=True, slots=True)
class MfaSetup:
    secret: str  # base32, for typing into an authenticator by hand
    uri: str  # otpauth://totp/..., for a QR code


@dataclass(frozen=True, slots=True)
class MfaStatus:
    enabled: bool
    pending: bool  # an enrolment was started and waits for its first code
    confirmed_at: datetime | None
    recovery_codes_left: int


async def _user_of(users: UserRepository, principal: Principal) -> User:
    user = await users.get(principal.user_id)
    if user is None:
        raise NotFoundError()
    return user


class GetMfaStatus:
    """Whether the caller has MFA and how many recovery codes are left.

    A signed-in person (never an API key); raises InteractiveSessionRequiredError.
    """

    def __init__(self, mfa: MfaRepository) -> None:
        self._mfa = mfa

    async def execute(self, principal: Principal) -> MfaStatus:
        principal.require_interactive()
        enrolment = await self._mfa.get(principal.user_id)
        if enrolment is None:
            return MfaStatus(enabled=False, pending=False, confirmed_at=None, recovery_codes_left=0)
        return MfaStatus(
            enabled=enrolment.is_active,
            pending=not enrolment.is_active,
            confirmed_at=enrolment.confirmed_at,
            recovery_codes_left=await self._mfa.count_recovery_codes(principal.user_id) if enrolment.is_active else 0,
        )


class StartMfaEnrolment:
    """A new TOTP secret for the caller, inactive until ConfirmMfaEnrolment sees a first code from it.

    Whoever holds only a stolen access token must not enrol (and so lock the owner out): an account with a
    password gives it again; one without (made by OIDC) needs a session that signed in, or passed a second
    factor, within MFA_STEP_UP_SECONDS.

    A signed-in person (never an API key); raises InteractiveSessionRequiredError, MfaAlreadyEnabledError (409),
    TooManyAttemptsError (429), InvalidCurrentPasswordError (422) and RecentSignInRequiredError (401). Starting
    again replaces a pending secret.
    """

    def __init__(
        self,
        users: UserRepository,
        mfa: MfaRepository,
        totp: Totp,
        box: MfaSecretBox,
        hasher: PasswordHasher,
        throttle: LoginThrottle,
        sessions: SessionRepository,
        uow: UnitOfWork,
        clock: Clock,
        policy: IdentityPolicy,
    ) -> None:
        self._users = users
        self._mfa = mfa
        self._totp = totp
        self._box = box
        self._hasher = hasher
        self._throttle = throttle
        self._sessions = sessions
        self._uow = uow
        self._clock = clock
        self._policy = policy

    async def execute(self, principal: Principal, password: str | None) -> MfaSetup:
        principal.require_interactive()
        user = await _user_of(self._users, principal)
        existing = await self._mfa.get(user.id)
        if existing is not None and existing.is_active:
            raise MfaAlreadyEnabledError()
        if user.password_hash is not None:
            await self._check_password(user, password)
        else:
            await self._check_recent_sign_in(principal)
        secret = self._totp.new_secret()
        sealed = self._box.seal(secret, context=str(user.id))
        await self._mfa.save(MfaEnrolment(user_id=user.id, sealed_secret=sealed, created_at=self._clock.now()))
        await self._uow.commit()
        uri = self._totp.provisioning_uri(secret, account=user.email, issuer=self._policy.mfa_issuer)
        return MfaSetup(secret=secret, uri=uri)

    async def _check_password(self, user: User, password: str | None) -> None:
        await self._throttle.check(user.email, None)
        if not await self._hasher.verify(user.password_hash or self._hasher.dummy_hash, password or ""):
            await self._throttle.failed(user.email, None)
            await self._uow.commit()
            raise InvalidCurrentPasswordError()

    async def _check_recent_sign_in(self, principal: Principal) -> None:
        """The session's sign-in (or its last second factor) is recent; refreshing keeps the sign-in time."""
        session = None if principal.session_id is None else await self._sessions.get(principal.session_id)
        if session is None:
            raise RecentSignInRequiredError()
        proven_at = max(session.created_at, session.mfa_at or session.created_at)
        if self._clock.now() - proven_at > self._policy.mfa_step_up_max_age:
            raise RecentSignInRequiredError()


class ConfirmMfaEnrolment:
    """Activates the pending enrolment with a first code and answers the ten recovery codes, shown only here.

    A signed-in person (never an API key); raises InteractiveSessionRequiredError, MfaNotEnabledError (409, no
    enrolment started), MfaAlreadyEnabledError (409), TooManyAttemptsError (429) and InvalidMfaCodeError (422).
    The current session counts as having passed MFA.
    """

    def __init__(
        self,
        users: UserRepository,
        mfa: MfaRepository,
        factor: SecondFactor,
        throttle: LoginThrottle,
        sessions: SessionRepository,
        auditor: Auditor,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._users = users
        self._mfa = mfa
        self._factor = factor
        self._throttle = throttle
        self._sessions = sessions
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def execute(self, principal: Principal, code: str) -> list[str]:
        principal.require_interactive()
        user = await _user_of(self._users, principal)
        enrolment = await self._mfa.get(user.id)
        if enrolment is None:
            raise MfaNotEnabledError("Start the enrolment first (POST /api/v1/users/me/mfa).")
        if enrolment.is_active:
            raise MfaAlreadyEnabledError()
        await self._throttle.check(user.email, None)
        step = await self._factor.first_step(enrolment, code) if looks_like_totp(code) else None
        if step is None:
            await self._throttle.failed(user.email, None)
            await self._uow.commit()
            raise InvalidMfaCodeError()
        now = self._clock.now()
        await self._mfa.save(
            MfaEnrolment(
                user_id=user.id,
                sealed_secret=enrolment.sealed_secret,
                created_at=enrolment.created_at,
                confirmed_at=now,
                last_used_step=step,
            )
        )
        codes = await self._factor.new_recovery_codes(user.id, now)
        if principal.session_id is not None:
            await self._sessions.record_mfa(principal.session_id, now)
        await self._throttle.succeeded(user.email)
        await self._auditor.record(AuditAction.MFA_ENABLED, actor=principal, subject_id=user.id)
        await self._uow.commit()
        return codes


class RegenerateRecoveryCodes:
    """Ten new recovery codes replace the old ones; needs a current code (TOTP or recovery).

    A signed-in person (never an API key); raises InteractiveSessionRequiredError, MfaNotEnabledError (409),
    TooManyAttemptsError (429) and InvalidMfaCodeError (422).
    """

    def __init__(
        self,
        users: UserRepository,
        factor: SecondFactor,
        sessions: SessionRepository,
        auditor: Auditor,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._users = users
        self._factor = factor
        self._sessions = sessions
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def execute(self, principal: Principal, code: str) -> list[str]:
        principal.require_interactive()
        user = await _user_of(self._users, principal)
        enrolment = await self._factor.active_enrolment(user.id)
        await self._factor.check(user, enrolment, code)
        now = self._clock.now()
        codes = await self._factor.new_recovery_codes(user.id, now)
        if principal.session_id is not None:
            await self._sessions.record_mfa(principal.session_id, now)
        await self._auditor.record(AuditAction.MFA_RECOVERY_CODES_REGENERATED, actor=principal, subject_id=user.id)
        await self._uow.commit()
        return codes


class StepUp:
    """Proves the second factor again for the current session, so sensitive actions are allowed for a while
    (MFA_STEP_UP_SECONDS).

    A signed-in person (never an API key); raises InteractiveSessionRequiredError, MfaNotEnabledError (409),
    TooManyAttemptsError (429) and InvalidMfaCodeError (422).
    """

    def __init__(
        self,
        users: UserRepository,
        factor: SecondFactor,
        sessions: SessionRepository,
        auditor: Auditor,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._users = users
        self._factor = factor
        self._sessions = sessions
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def execute(self, principal: Principal, code: str) -> datetime:
        principal.require_interactive()
        user = await _user_of(self._users, principal)
        enrolment = await self._factor.active_enrolment(user.id)
        method = await self._factor.check(user, enrolment, code)
        now = self._clock.now()
        if principal.session_id is not None:
            await self._sessions.record_mfa(principal.session_id, now)
        await self._auditor.record(
            AuditAction.MFA_STEP_UP,
            actor=principal,
            subject_id=user.id,
            session_id=str(principal.session_id),
            method=method,
        )
        await self._uow.commit()
        return now


class DisableMfa:
    """Turns MFA off for the caller: needs the password and a current code (TOTP or recovery).

    A signed-in person (never an API key); raises InteractiveSessionRequiredError, MfaNotEnabledError (409),
    TooManyAttemptsError (429), InvalidCurrentPasswordError (422) and InvalidMfaCodeError (422).
    """

    def __init__(
        self,
        users: UserRepository,
        mfa: MfaRepository,
        factor: SecondFactor,
        hasher: PasswordHasher,
        throttle: LoginThrottle,
        auditor: Auditor,
        uow: UnitOfWork,
    ) -> None:
        self._users = users
        self._mfa = mfa
        self._factor = factor
        self._hasher = hasher
        self._throttle = throttle
        self._auditor = auditor
        self._uow = uow

    async def execute(self, principal: Principal, password: str, code: str) -> None:
        principal.require_interactive()
        user = await _user_of(self._users, principal)
        enrolment = await self._factor.active_enrolment(user.id)
        await self._throttle.check(user.email, None)
        # an account without a password (made by OIDC) sets one first ("forgot password"): no disabling by code alone
        if not await self._hasher.verify(user.password_hash or self._hasher.dummy_hash, password):
            await self._throttle.failed(user.email, None)
            await self._uow.commit()
            raise InvalidCurrentPasswordError()
        await self._factor.check(user, enrolment, code)
        await self._mfa.delete(user.id)
        await self._auditor.record(AuditAction.MFA_DISABLED, actor=principal, subject_id=user.id)
        await self._uow.commit()


class ResetUserMfa:
    """An admin (or the operator at the CLI) removes a user's MFA, e.g. after a lost phone and lost codes;
    the user signs in with the password alone and may enrol again.

    A principal with ``users:write`` and, for a session with MFA, a recent second factor; raises
    PermissionDeniedError, MfaRequiredError (401), NotFoundError (unknown id) and MfaNotEnabledError (409).
    """

    def __init__(self, users: UserRepository, mfa: MfaRepository, auditor: Auditor, uow: UnitOfWork) -> None:
        self._users = users
        self._mfa = mfa
        self._auditor = auditor
        self._uow = uow

    async def execute(self, principal: Principal, user_id: UUID) -> None:
        principal.require(Permission.USERS_WRITE)
        principal.require_recent_mfa()
        user = await self._users.get(user_id)
        if user is None:
            raise NotFoundError("No such user.")
        if not await self._mfa.delete(user_id):
            raise MfaNotEnabledError()
        await self._auditor.record(AuditAction.MFA_RESET, actor=principal, subject_id=user_id, email=user.email)
        await self._uow.commit()
