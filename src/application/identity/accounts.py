"""Registration and email verification."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from application.identity.audit import Auditor
from application.identity.emails import verification_email
from application.identity.login import MailThrottle
from application.identity.policy import IdentityPolicy
from application.identity.ports import EmailMessage, MailOutbox, PasswordHasher, UserRepository
from application.identity.tokens import OneTimeTokens
from application.shared.ports import Clock, IdGenerator, UnitOfWork
from domain.identity.errors import EmailTakenError, InvalidOneTimeTokenError
from domain.identity.models import (
    AuditAction,
    TokenPurpose,
    User,
    normalize_display_name,
    normalize_email,
)
from domain.identity.passwords import PasswordPolicy
from domain.identity.roles import Role
from domain.shared.errors import DependencyUnavailableError, ValidationError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewAccount:
    email: str
    password: str
    display_name: str
    role: Role = Role.MEMBER
    verified: bool = False


class AccountFactory:
    """Builds a valid user: normalised email and name, policy-checked and hashed password."""

    def __init__(
        self, users: UserRepository, hasher: PasswordHasher, passwords: PasswordPolicy, ids: IdGenerator, clock: Clock
    ) -> None:
        self._users = users
        self._hasher = hasher
        self._passwords = passwords
        self._ids = ids
        self._clock = clock

    async def create(self, account: NewAccount) -> User:
        email = normalize_email(account.email)
        name = normalize_display_name(account.display_name)
        self._passwords.check(account.password, email=email)
        if await self._users.get_by_email(email) is not None:
            raise EmailTakenError()
        return await self._add(email, name, await self._hasher.hash(account.password), account.role, account.verified)

    async def create_without_password(self, email: str, display_name: str, role: Role, *, verified: bool) -> User:
        """An account signed in by an identity provider; a password can be set later through a reset link."""
        email = normalize_email(email)
        if await self._users.get_by_email(email) is not None:
            raise EmailTakenError()
        return await self._add(email, normalize_display_name(display_name), None, role, verified)

    async def _add(self, email: str, name: str, password_hash: str | None, role: Role, verified: bool) -> User:
        now = self._clock.now()
        user = User(
            id=self._ids.new_id(),
            email=email,
            display_name=name,
            password_hash=password_hash,
            role=role,
            is_active=True,
            email_verified_at=now if verified else None,
            created_at=now,
            updated_at=now,
        )
        await self._users.add(user)
        return user


class RegisterUser:
    """Self-registration: creates an unverified account with the operator's registration role and mails a
    verification link.

    Anyone (no principal); raises TooManyAttemptsError (429, per address), ValidationError or WeakPasswordError
    (422) for a bad email or password, and EmailTakenError (409).
    """

    def __init__(
        self,
        accounts: AccountFactory,
        throttle: MailThrottle,
        tokens: OneTimeTokens,
        outbox: MailOutbox,
        auditor: Auditor,
        uow: UnitOfWork,
        policy: IdentityPolicy,
    ) -> None:
        self._accounts = accounts
        self._throttle = throttle
        self._tokens = tokens
        self._outbox = outbox
        self._auditor = auditor
        self._uow = uow
        self._policy = policy

    async def execute(self, account: NewAccount, *, ip_address: str | None = None) -> User:
        await self._throttle.admit("register", email=None, ip_address=ip_address)
        # the caller never chooses the role of a self-registration; the operator's policy does
        user = await self._accounts.create(
            NewAccount(account.email, account.password, account.display_name, role=self._policy.registration_role)
        )
        token = await self._tokens.issue(user, TokenPurpose.VERIFY_EMAIL, self._policy.verification_ttl)
        await self._auditor.record(
            AuditAction.USER_REGISTERED, actor_id=user.id, subject_id=user.id, ip_address=ip_address
        )
        await self._uow.commit()
        await send_after_commit(
            self._outbox, verification_email(user.email, user.display_name, self._policy.public_url, token)
        )
        return user


class ResendVerification:
    """Always succeeds from the caller's view, so it cannot be used to probe for accounts.

    Anyone (no principal); mails a new link only to an unverified account. Raises only TooManyAttemptsError
    (429).
    """

    def __init__(
        self,
        users: UserRepository,
        throttle: MailThrottle,
        tokens: OneTimeTokens,
        outbox: MailOutbox,
        uow: UnitOfWork,
        policy: IdentityPolicy,
    ) -> None:
        self._users = users
        self._throttle = throttle
        self._tokens = tokens
        self._outbox = outbox
        self._uow = uow
        self._policy = policy

    async def execute(self, email: str, *, ip_address: str | None = None) -> None:
        await self._throttle.admit("resend", email=email, ip_address=ip_address)
        user = await find_by_address(self._users, email)
        if user is None or user.is_verified or not user.is_active:
            return
        token = await self._tokens.issue(user, TokenPurpose.VERIFY_EMAIL, self._policy.verification_ttl)
        await self._uow.commit()
        await send_after_commit(
            self._outbox, verification_email(user.email, user.display_name, self._policy.public_url, token)
        )


class VerifyEmail:
    """Marks the account of a verification link as verified; a second use of a valid link is harmless.

    Anyone holding the link (no principal); raises InvalidOneTimeTokenError for a link that is invalid, expired
    or spent.
    """

    def __init__(
        self, users: UserRepository, tokens: OneTimeTokens, auditor: Auditor, uow: UnitOfWork, clock: Clock
    ) -> None:
        self._users = users
        self._tokens = tokens
        self._auditor = auditor
        self._uow = uow
        self._clock = clock

    async def execute(self, token: str) -> User:
        user_id = await self._tokens.consume(TokenPurpose.VERIFY_EMAIL, token)
        user = None if user_id is None else await self._users.get(user_id)
        if user is None:
            raise InvalidOneTimeTokenError()
        if not user.is_verified:
            now = self._clock.now()
            user = user.with_changes(email_verified_at=now, updated_at=now)
            await self._users.save(user)
            await self._auditor.record(AuditAction.EMAIL_VERIFIED, actor_id=user.id, subject_id=user.id)
        await self._uow.commit()
        return user


async def find_by_address(users: UserRepository, raw_email: str) -> User | None:
    """The account for an address as typed; a malformed address simply has none."""
    try:
        return await users.get_by_email(normalize_email(raw_email))
    except ValidationError:
        return None


async def send_after_commit(outbox: MailOutbox, message: EmailMessage) -> None:
    """The change is committed already; a queue outage must not turn that into an error."""
    try:
        await outbox.send_later(message)
    except DependencyUnavailableError as exc:  # an outage is expected here: one line, no traceback
        logger.warning("could not queue email", extra={"subject": message.subject, **exc.details})
    except Exception:
        logger.exception("could not queue email", extra={"subject": message.subject})
