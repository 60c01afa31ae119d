"""Turn a bearer credential (access JWT or API key) into a Principal, checking live state every time."""

from __future__ import annotations

import hmac
from datetime import datetime

from application.identity.api_keys import split_key
from application.identity.audit import Auditor
from application.identity.policy import IdentityPolicy
from application.identity.ports import (
    AccessTokenCodec,
    ApiKeyRepository,
    MfaRepository,
    SecretTokens,
    SessionHolders,
    UserRepository,
)
from application.shared.ports import Clock, UnitOfWork
from domain.identity.errors import InvalidTokenError
from domain.identity.models import AuditAction, AuthSession, User
from domain.identity.principal import Principal
from domain.identity.roles import Role


class AuthenticateAccessToken:
    """The access-token half of Authenticate: the JWT, then its session and account, read live every time.

    It needs no unit of work or repository of its own, so entrypoints can keep one for the process and
    spare every request building the rest of Authenticate (API keys need it: they write on first use).
    """

    def __init__(self, codec: AccessTokenCodec, holders: SessionHolders, clock: Clock, policy: IdentityPolicy) -> None:
        self._codec = codec
        self._holders = holders
        self._clock = clock
        self._policy = policy

    async def execute(self, token: str) -> Principal:
        claims = self._codec.decode(token)
        now = self._clock.now()
        # the JWT is only 15 minutes long, but revocation and deactivation must bite at once
        held = await self._holders.get_with_user(claims.session_id)
        if held is None or held[0].user_id != claims.user_id or not held[0].is_active(now):
            raise InvalidTokenError("The session has ended.")
        session, user, mfa_enrolled = held
        if not user.is_active:
            raise InvalidTokenError("The account is not active.")
        # the role comes from the database, so a demotion applies to live tokens too
        return Principal(
            user_id=user.id,
            role=user.role,
            session_id=session.id,
            mfa_enrolled=mfa_enrolled,
            mfa_recent=_mfa_recent(session, now, self._policy),
            mfa_enrolment_required=must_enrol(user, mfa_enrolled, self._policy),
        )


def _mfa_recent(session: AuthSession, now: datetime, policy: IdentityPolicy) -> bool:
    return session.mfa_at is not None and now - session.mfa_at <= policy.mfa_step_up_max_age


def must_enrol(user: User, mfa_enrolled: bool, policy: IdentityPolicy) -> bool:
    """MFA_REQUIRED_FOR_ADMINS: an admin without MFA keeps only what they need to enrol."""
    return policy.mfa_required_for_admins and user.role is Role.ADMIN and not mfa_enrolled


def is_api_key(credential: str) -> bool:
    return split_key(credential) is not None


class Authenticate:
    """Turns a bearer credential (access JWT or API key) into the Principal of the request.

    Called by entrypoints for every authenticated request, before any other use case; raises InvalidTokenError
    (401) for a credential that is malformed, expired, revoked, or whose session or account is no longer active.
    """

    def __init__(
        self,
        users: UserRepository,
        holders: SessionHolders,
        keys: ApiKeyRepository,
        mfa: MfaRepository,
        codec: AccessTokenCodec,
        secrets: SecretTokens,
        auditor: Auditor,
        uow: UnitOfWork,
        clock: Clock,
        policy: IdentityPolicy,
    ) -> None:
        self._users = users
        self._tokens = AuthenticateAccessToken(codec, holders, clock, policy)
        self._keys = keys
        self._mfa = mfa
        self._secrets = secrets
        self._auditor = auditor
        self._uow = uow
        self._clock = clock
        self._policy = policy

    async def execute(self, credential: str) -> Principal:
        parts = split_key(credential)
        if parts is not None:
            return await self._api_key(*parts)
        return await self._tokens.execute(credential)

    async def _api_key(self, prefix: str, secret: str) -> Principal:
        key = await self._keys.get_by_prefix(prefix)
        now = self._clock.now()
        if key is None or not hmac.compare_digest(key.secret_hash, self._secrets.digest(secret)):
            raise InvalidTokenError("The API key is invalid.")
        if not key.is_usable(now):
            raise InvalidTokenError("The API key is revoked or expired.")
        user = await self._users.get(key.user_id)
        if user is None or not user.is_active:
            raise InvalidTokenError("The account is not active.")
        enrolment = await self._mfa.get(user.id) if self._policy.mfa_required_for_admins else None
        enrolled = enrolment is not None and enrolment.is_active
        principal = Principal(
            user_id=user.id,
            role=user.role,
            api_key_id=key.id,
            scopes=key.scopes,
            mfa_enrolled=enrolled,
            mfa_enrolment_required=must_enrol(user, enrolled, self._policy),
        )
        if key.last_used_at is None:
            if await self._keys.mark_first_use(key.id, now):
                # later uses are not audited one by one: each audited action names the key it came with
                await self._auditor.record(AuditAction.API_KEY_FIRST_USED, actor=principal, target=("api_key", key.id))
            await self._uow.commit()
        elif now - key.last_used_at >= self._policy.api_key_touch_interval:
            await self._keys.touch(key.id, now)
            await self._uow.commit()
        return principal
