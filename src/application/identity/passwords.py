"""Forgotten, reset and changed passwords."""

from __future__ import annotations

from typing import Any

from application.identity.accounts import find_by_address, send_after_commit
from application.identity.audit import Auditor
from application.identity.claims import UnprovenAccess
from application.identity.emails import password_reset_email
from application.identity.login import LoginThrottle, MailThrottle
from application.identity.policy import IdentityPolicy
from application.identity.ports import MailOutbox, PasswordHasher, SessionRepository, UserRepository
from application.identity.tokens import OneTimeTokens
from application.shared.ports import Clock, UnitOfWork
from domain.identity.errors import InvalidCurrentPasswordError, InvalidOneTimeTokenError
from domain.identity.models import AuditAction, TokenPurpose
from domain.identity.passwords import PasswordPolicy
from domain.identity.principal import Principal
from domain.shared.errors import NotFoundError


class ForgotPassword:
    """Answers the same whether or not the account exists, and mails a reset link when it does.

    Anyone (no principal); raises only TooManyAttemptsError (429).
    """

    def __init__(
        self,
        users: UserRepository,
        throttle: MailThrottle,
        tokens: OneTimeTokens,
        outbox: MailOutbox,
        auditor: Auditor,
        uow: UnitOfWork,
        policy: IdentityPolicy,
    ) -> None:
        self._users = users
        self._throttle = throttle
        self._tokens = tokens
        self._outbox = outbox
        self._auditor = auditor
        self._uow = uow
        self._policy = policy

    async def execute(self, email: str, *, ip_address: str | None = None) -> None:
        await self._throttle.admit("forgot", email=email, ip_address=ip_address)
        user = await find_by_address(self._users, email)
        if user is None or not user.is_active:
            return
        token = await self._tokens.issue(user, TokenPurpose.RESET_PASSWORD, self._policy.password_reset_ttl)
        await self._auditor.record(AuditAction.PASSWORD_RESET_REQUESTED, subject_id=user.id, ip_address=ip_address)
        await self._uow.commit()
        await send_after_commit(
            self._outbox, password_reset_email(user.email, user.display_name, self._policy.public_url, token)
        )


class ResetPassword:
    """Sets a new password from a reset link and ends every session of the account.

    Anyone holding the link (no principal); raises InvalidOneTimeTokenError for a link that is invalid, expired
    or spent, and WeakPasswordError (422).
    """

    def __init__(
        self,
        users: UserRepository,
        tokens: OneTimeTokens,
        sessions: SessionRepository,
        hasher: PasswordHasher,
        passwords: PasswordPolicy,
        auditor: Auditor,
        uow: UnitOfWork,
        clock: Clock,
        unproven: UnprovenAccess,
    ) -> None:
        self._users = users
        self._tokens = tokens
        self._sessions = sessions
        self._unproven = unproven
        self._hasher = hasher
        self._passwords = passwords
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def execute(self, token: str, new_password: str, *, ip_address: str | None = None) -> None:
        user_id = await self._tokens.consume(TokenPurpose.RESET_PASSWORD, token)
        user = None if user_id is None else await self._users.get(user_id)
        if user is None or not user.is_active:
            raise InvalidOneTimeTokenError()
        # raising here rolls the consume back (nothing is committed), so a weak password does not burn the token
        self._passwords.check(new_password, email=user.email)
        now = self._clock.now()
        claimed = not user.is_verified
        user = user.with_changes(
            password_hash=await self._hasher.hash(new_password),
            email_verified_at=user.email_verified_at or now,  # the reset link proved the address
            updated_at=now,
        )
        await self._users.save(user)
        await self._tokens.discard_all(user.id, TokenPurpose.RESET_PASSWORD)
        forfeited: dict[str, Any] = {}
        if claimed:  # the address is proved only now: what its unproven holder set up goes too
            lost = await self._unproven.forfeit(user.id, now, "password_reset")
            revoked = lost.sessions
            forfeited = {
                "identities_removed": lost.identities,
                "api_keys_revoked": lost.api_keys,
                "mfa_removed": lost.mfa,
            }
        else:
            revoked = await self._sessions.revoke_all(user.id, now, "password_reset")
        await self._auditor.record(
            AuditAction.PASSWORD_RESET,
            actor_id=user.id,
            subject_id=user.id,
            ip_address=ip_address,
            sessions=revoked,
            **forfeited,
        )
        await self._uow.commit()


class ChangePassword:
    """Changes the caller's password after checking the current one; other sessions end.

    A signed-in person (never an API key) who, when the account has MFA, passed it recently; raises
    InteractiveSessionRequiredError, MfaRequiredError (401), TooManyAttemptsError (429),
    InvalidCurrentPasswordError and WeakPasswordError (422).
    """

    def __init__(
        self,
        users: UserRepository,
        sessions: SessionRepository,
        hasher: PasswordHasher,
        passwords: PasswordPolicy,
        throttle: LoginThrottle,
        auditor: Auditor,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._hasher = hasher
        self._passwords = passwords
        self._throttle = throttle
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def execute(self, principal: Principal, current_password: str, new_password: str) -> None:
        principal.require_interactive()
        principal.require_recent_mfa()
        user = await self._users.get(principal.user_id)
        if user is None:
            raise NotFoundError()
        # a stolen access token must not become a way to guess the password
        await self._throttle.check(user.email, None)
        if not await self._hasher.verify(user.password_hash or self._hasher.dummy_hash, current_password):
            await self._throttle.failed(user.email, None)
            await self._uow.commit()
            raise InvalidCurrentPasswordError()
        self._passwords.check(new_password, email=user.email)
        now = self._clock.now()
        await self._users.save(user.with_changes(password_hash=await self._hasher.hash(new_password), updated_at=now))
        revoked = await self._sessions.revoke_all(user.id, now, "password_changed", keep=principal.session_id)
        await self._auditor.record(
            AuditAction.PASSWORD_CHANGED, actor_id=user.id, subject_id=user.id, other_sessions_revoked=revoked
        )
        await self._uow.commit()
