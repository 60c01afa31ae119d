"""Wires every identity use case onto the in-memory fakes, as the container does onto adapters."""

from __future__ import annotations

from dataclasses import dataclass, field

from application.identity.accounts import AccountFactory, NewAccount, RegisterUser, ResendVerification, VerifyEmail
from application.identity.api_keys import CreateApiKey, ListApiKeys, RevokeApiKey
from application.identity.audit import AuditContext, Auditor, ListAuditEvents
from application.identity.authenticate import Authenticate
from application.identity.claims import UnprovenAccess
from application.identity.login import (
    Credentials,
    Login,
    LoginThrottle,
    Logout,
    LogoutAll,
    MailThrottle,
    RefreshTokens,
)
from application.identity.mfa import (
    ConfirmMfaEnrolment,
    DisableMfa,
    GetMfaStatus,
    RegenerateRecoveryCodes,
    ResetUserMfa,
    SecondFactor,
    StartMfaEnrolment,
    StepUp,
)
from application.identity.mfa_login import CompleteMfaLogin
from application.identity.passwords import ChangePassword, ForgotPassword, ResetPassword
from application.identity.policy import IdentityPolicy
from application.identity.sessions import ListSessions, RevokeSession
from application.identity.tokens import OneTimeTokens, SessionIssuer, TokenPair
from application.identity.users import (
    CreateUser,
    DeleteUser,
    GetMe,
    GetUser,
    ListUsers,
    UpdateMe,
    UpdateUser,
    UserAccess,
)
from domain.identity.models import User
from domain.identity.passwords import PasswordPolicy
from domain.identity.roles import Role
from tests.support.identity_fakes import (
    POLICY,
    CapturingOutbox,
    CountingSecrets,
    FakeHasher,
    FakeTokenCodec,
    FakeTotp,
    FakeUnitOfWork,
    InMemoryApiKeys,
    InMemoryAuditLog,
    InMemoryIdentities,
    InMemoryLimiter,
    InMemoryMfa,
    InMemoryOneTimeTokens,
    InMemoryRefreshTokens,
    InMemorySessionHolders,
    InMemorySessions,
    InMemoryUsers,
    MovableClock,
    PlainSecretBox,
    SequentialIds,
)


class PasswordOnlyLogin:
    """Login for accounts without MFA, whose answer is always a token pair."""

    def __init__(self, login: Login) -> None:
        self._login = login

    async def execute(self, credentials: Credentials) -> TokenPair:
        result = await self._login.execute(credentials)
        assert isinstance(result, TokenPair), result
        return result


COMMON = frozenset({"password", "password1", "qwertyuiop"})
GOOD_PASSWORD = "correct horse battery"


@dataclass
class World:
    users: InMemoryUsers = field(default_factory=InMemoryUsers)
    sessions: InMemorySessions = field(default_factory=InMemorySessions)
    refresh: InMemoryRefreshTokens = field(default_factory=InMemoryRefreshTokens)
    one_time: InMemoryOneTimeTokens = field(default_factory=InMemoryOneTimeTokens)
    keys: InMemoryApiKeys = field(default_factory=InMemoryApiKeys)
    audit: InMemoryAuditLog = field(default_factory=InMemoryAuditLog)
    hasher: FakeHasher = field(default_factory=FakeHasher)
    codec: FakeTokenCodec = field(default_factory=FakeTokenCodec)
    secrets: CountingSecrets = field(default_factory=CountingSecrets)
    outbox: CapturingOutbox = field(default_factory=CapturingOutbox)
    limiter: InMemoryLimiter = field(default_factory=InMemoryLimiter)
    uow: FakeUnitOfWork = field(default_factory=FakeUnitOfWork)
    clock: MovableClock = field(default_factory=MovableClock)
    ids: SequentialIds = field(default_factory=SequentialIds)
    mfa: InMemoryMfa = field(default_factory=InMemoryMfa)
    identities: InMemoryIdentities = field(default_factory=InMemoryIdentities)
    totp: FakeTotp = field(default_factory=FakeTotp)
    box: PlainSecretBox = field(default_factory=PlainSecretBox)
    policy: IdentityPolicy = POLICY

    @property
    def auditor(self) -> Auditor:
        return Auditor(self.audit, self.ids, self.clock, AuditContext())

    @property
    def issuer(self) -> SessionIssuer:
        return SessionIssuer(self.sessions, self.refresh, self.codec, self.secrets, self.ids, self.clock, POLICY)

    @property
    def tokens(self) -> OneTimeTokens:
        return OneTimeTokens(self.one_time, self.secrets, self.ids, self.clock)

    @property
    def throttle(self) -> LoginThrottle:
        return LoginThrottle(self.limiter, POLICY)

    @property
    def mail_throttle(self) -> MailThrottle:
        return MailThrottle(self.limiter, POLICY)

    @property
    def unproven(self) -> UnprovenAccess:
        return UnprovenAccess(self.sessions, self.identities, self.keys, self.mfa)

    @property
    def accounts(self) -> AccountFactory:
        return AccountFactory(self.users, self.hasher, PasswordPolicy(COMMON), self.ids, self.clock)

    def register(self) -> RegisterUser:
        return RegisterUser(self.accounts, self.mail_throttle, self.tokens, self.outbox, self.auditor, self.uow, POLICY)

    def resend(self) -> ResendVerification:
        return ResendVerification(self.users, self.mail_throttle, self.tokens, self.outbox, self.uow, POLICY)

    def verify(self) -> VerifyEmail:
        return VerifyEmail(self.users, self.tokens, self.auditor, self.uow, self.clock)

    def login(self) -> PasswordOnlyLogin:
        return PasswordOnlyLogin(self.login_step())

    def login_step(self) -> Login:
        return Login(
            self.users,
            self.hasher,
            self.throttle,
            self.issuer,
            self.mfa,
            self.tokens,
            self.auditor,
            self.uow,
            self.clock,
            self.policy,
        )

    @property
    def factor(self) -> SecondFactor:
        return SecondFactor(self.mfa, self.totp, self.box, self.throttle, self.auditor, self.uow, self.clock)

    def complete_mfa_login(self) -> CompleteMfaLogin:
        return CompleteMfaLogin(
            self.users,
            self.mfa,
            self.tokens,
            self.factor,
            self.throttle,
            self.issuer,
            self.auditor,
            self.uow,
            self.clock,
        )

    def mfa_status(self) -> GetMfaStatus:
        return GetMfaStatus(self.mfa)

    def start_mfa(self) -> StartMfaEnrolment:
        return StartMfaEnrolment(
            self.users,
            self.mfa,
            self.totp,
            self.box,
            self.hasher,
            self.throttle,
            self.sessions,
            self.uow,
            self.clock,
            self.policy,
        )

    def confirm_mfa(self) -> ConfirmMfaEnrolment:
        return ConfirmMfaEnrolment(
            self.users, self.mfa, self.factor, self.throttle, self.sessions, self.auditor, self.uow, self.clock
        )

    def regenerate_codes(self) -> RegenerateRecoveryCodes:
        return RegenerateRecoveryCodes(self.users, self.factor, self.sessions, self.auditor, self.uow, self.clock)

    def step_up(self) -> StepUp:
        return StepUp(self.users, self.factor, self.sessions, self.auditor, self.uow, self.clock)

    def disable_mfa(self) -> DisableMfa:
        return DisableMfa(self.users, self.mfa, self.factor, self.hasher, self.throttle, self.auditor, self.uow)

    def reset_mfa(self) -> ResetUserMfa:
        return ResetUserMfa(self.users, self.mfa, self.auditor, self.uow)

    def refresh_tokens(self) -> RefreshTokens:
        return RefreshTokens(
            self.users, self.sessions, self.refresh, self.secrets, self.issuer, self.auditor, self.uow, self.clock
        )

    def logout(self) -> Logout:
        return Logout(self.sessions, self.refresh, self.secrets, self.auditor, self.uow, self.clock)

    def logout_all(self) -> LogoutAll:
        return LogoutAll(self.sessions, self.auditor, self.uow, self.clock)

    def list_sessions(self) -> ListSessions:
        return ListSessions(self.sessions, self.clock)

    def revoke_session(self) -> RevokeSession:
        return RevokeSession(self.sessions, self.auditor, self.uow, self.clock)

    def forgot(self) -> ForgotPassword:
        return ForgotPassword(self.users, self.mail_throttle, self.tokens, self.outbox, self.auditor, self.uow, POLICY)

    def reset(self) -> ResetPassword:
        return ResetPassword(
            self.users,
            self.tokens,
            self.sessions,
            self.hasher,
            PasswordPolicy(COMMON),
            self.auditor,
            self.uow,
            self.clock,
            self.unproven,
        )

    def change_password(self) -> ChangePassword:
        return ChangePassword(
            self.users,
            self.sessions,
            self.hasher,
            PasswordPolicy(COMMON),
            self.throttle,
            self.auditor,
            self.uow,
            self.clock,
        )

    def get_me(self) -> GetMe:
        return GetMe(self.users)

    def update_me(self) -> UpdateMe:
        return UpdateMe(self.users, self.auditor, self.uow, self.clock)

    def list_users(self) -> ListUsers:
        return ListUsers(self.users)

    def get_user(self) -> GetUser:
        return GetUser(self.users)

    def update_user(self) -> UpdateUser:
        access = UserAccess(self.sessions, self.keys, self.clock)
        return UpdateUser(self.users, access, self.auditor, self.uow, self.clock)

    def delete_user(self) -> DeleteUser:
        return DeleteUser(self.users, self.auditor, self.uow)

    def create_user(self) -> CreateUser:
        return CreateUser(self.accounts, self.auditor, self.uow)

    def create_key(self) -> CreateApiKey:
        return CreateApiKey(self.users, self.keys, self.secrets, self.auditor, self.uow, self.ids, self.clock)

    def list_keys(self) -> ListApiKeys:
        return ListApiKeys(self.keys)

    def revoke_key(self) -> RevokeApiKey:
        return RevokeApiKey(self.keys, self.auditor, self.uow, self.clock)

    def list_audit(self) -> ListAuditEvents:
        return ListAuditEvents(self.audit)

    def authenticate(self) -> Authenticate:
        return Authenticate(
            self.users,
            InMemorySessionHolders(self.sessions, self.users, self.mfa),
            self.keys,
            self.mfa,
            self.codec,
            self.secrets,
            self.auditor,
            self.uow,
            self.clock,
            self.policy,
        )

    async def user(self, email: str = "ann@example.org", role: Role = Role.MEMBER) -> User:
        return await self.create_user().execute(
            NewAccount(email, GOOD_PASSWORD, email.split("@", maxsplit=1)[0], role, verified=True)
        )

    async def signed_in(self, email: str = "ann@example.org", role: Role = Role.MEMBER) -> tuple[User, TokenPair]:
        user = await self.user(email, role)
        return user, await self.login().execute(Credentials(email, GOOD_PASSWORD, ip_address="10.0.0.1"))
