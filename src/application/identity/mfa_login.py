"""The code step of a sign-in with MFA."""

from __future__ import annotations

from dataclasses import dataclass

from application.identity.audit import Auditor
from application.identity.login import LoginThrottle
from application.identity.mfa import SecondFactor
from application.identity.ports import MfaRepository, UserRepository
from application.identity.tokens import OneTimeTokens, SessionIssuer, TokenPair
from application.shared.ports import Clock, UnitOfWork
from domain.identity.errors import InvalidTokenError
from domain.identity.mfa import AMR_OTP, AMR_PASSWORD
from domain.identity.models import AuditAction, TokenPurpose


@dataclass(frozen=True, slots=True)
class MfaAnswer:
    mfa_token: str
    code: str  # a TOTP code or a recovery code
    ip_address: str | None = None
    user_agent: str | None = None


class CompleteMfaLogin:
    """Spends the challenge of the first step (a password, or an OpenID Connect provider) with a TOTP or
    recovery code and opens the session; its ``amr`` is the first step's method and ``otp``.

    Anyone holding a challenge (no principal); raises InvalidTokenError (401) for a challenge that is unknown,
    expired or spent, TooManyAttemptsError (429, shared with the password step) and InvalidMfaCodeError (422;
    the challenge stays usable until it expires, so a mistyped code can be corrected).
    """

    def __init__(
        self,
        users: UserRepository,
        mfa: MfaRepository,
        challenges: OneTimeTokens,
        factor: SecondFactor,
        throttle: LoginThrottle,
        issuer: SessionIssuer,
        auditor: Auditor,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._users = users
        self._mfa = mfa
        self._challenges = challenges
        self._factor = factor
        self._throttle = throttle
        self._issuer = issuer
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def execute(self, answer: MfaAnswer) -> TokenPair:
        invalid = InvalidTokenError("The sign-in challenge is invalid or expired; sign in again.")
        challenge = await self._challenges.find(TokenPurpose.MFA_CHALLENGE, answer.mfa_token)
        user = None if challenge is None else await self._users.get(challenge.user_id)
        enrolment = None if user is None else await self._mfa.get(user.id)
        if challenge is None or user is None or not user.is_active or enrolment is None or not enrolment.is_active:
            raise invalid
        method = await self._factor.check(user, enrolment, answer.code, ip_address=answer.ip_address)
        # spent only now, after the code: two racing answers get one session, the loser rolls back
        if await self._challenges.consume(TokenPurpose.MFA_CHALLENGE, answer.mfa_token) is None:
            raise invalid
        await self._throttle.succeeded(user.email)
        now = self._clock.now()
        pair = await self._issuer.start(
            user,
            ip_address=answer.ip_address,
            user_agent=answer.user_agent,
            amr=(challenge.first_factor or AMR_PASSWORD, AMR_OTP),
            mfa_at=now,
        )
        await self._auditor.record(
            AuditAction.LOGIN_SUCCEEDED,
            actor_id=user.id,
            subject_id=user.id,
            ip_address=answer.ip_address,
            session_id=str(pair.session_id),
            mfa=method,
            first_factor=challenge.first_factor or AMR_PASSWORD,
        )
        await self._uow.commit()
        return pair
