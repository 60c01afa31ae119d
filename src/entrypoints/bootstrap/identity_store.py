"""dishka wiring of the identity use cases that need only the database (and argon2).

Kept apart from IdentityProvider (JWT, Redis, the mail queue) so operator commands on users and API keys
build a container that imports none of those (operator_container.py).
"""

from __future__ import annotations

from dishka import AnyOf, Provider, Scope, provide, provide_all

from adapters.persistence.identity.api_keys import SqlApiKeyRepository
from adapters.persistence.identity.audit import SqlAuditLog
from adapters.persistence.identity.audit_chain import SqlAuditChain
from adapters.persistence.identity.identities import SqlExternalIdentityRepository
from adapters.persistence.identity.mfa import SqlMfaRepository
from adapters.persistence.identity.one_time_tokens import SqlOneTimeTokenRepository
from adapters.persistence.identity.refresh_tokens import SqlRefreshTokenRepository
from adapters.persistence.identity.sessions import SqlSessionHolders, SqlSessionRepository
from adapters.persistence.identity.users import SqlUserRepository
from adapters.security.argon2_hasher import Argon2PasswordHasher
from adapters.security.common_passwords import load_common_passwords
from adapters.security.mfa_secret_box import AesGcmMfaSecretBox
from adapters.security.secret_tokens import RandomSecretTokens
from adapters.security.totp import PyotpTotp
from application.identity.accounts import AccountFactory
from application.identity.api_keys import CreateApiKey, ListApiKeys, RevokeApiKey
from application.identity.audit import Auditor, ListAuditEvents, VerifyAuditChain
from application.identity.claims import UnprovenAccess
from application.identity.cleanup import PurgeExpiredCredentials
from application.identity.mfa import GetMfaStatus, ResetUserMfa
from application.identity.oidc import ListIdentities, UnlinkIdentity
from application.identity.ports import (
    ApiKeyDirectory,
    ApiKeyRepository,
    AuditChain,
    AuditLog,
    ExternalIdentityRepository,
    MfaRepository,
    MfaSecretBox,
    OneTimeTokenRepository,
    PasswordHasher,
    RefreshTokenRepository,
    SecretTokens,
    SessionHolders,
    SessionRepository,
    Totp,
    UserDirectory,
    UserRepository,
)
from application.identity.sessions import ListSessions, RevokeSession
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
from domain.identity.passwords import PasswordPolicy
from entrypoints.bootstrap.settings import Settings


class IdentityStoreProvider(Provider):
    @provide(scope=Scope.APP)
    def password_hasher(self, settings: Settings) -> PasswordHasher:
        return Argon2PasswordHasher.named(settings.password_hashing)

    @provide(scope=Scope.APP)
    def password_policy(self) -> PasswordPolicy:
        return PasswordPolicy(load_common_passwords())

    @provide(scope=Scope.APP)
    def mfa_secret_box(self, settings: Settings) -> MfaSecretBox:
        return AesGcmMfaSecretBox(settings.mfa_key_material)

    secrets = provide(RandomSecretTokens, provides=SecretTokens, scope=Scope.APP)

    @provide(scope=Scope.APP)
    def totp(self) -> Totp:
        return PyotpTotp()

    mfa = provide(SqlMfaRepository, provides=MfaRepository, scope=Scope.REQUEST)

    users = provide(SqlUserRepository, provides=AnyOf[UserRepository, UserDirectory], scope=Scope.REQUEST)
    sessions = provide(SqlSessionRepository, provides=SessionRepository, scope=Scope.REQUEST)
    session_holders = provide(SqlSessionHolders, provides=SessionHolders, scope=Scope.APP)  # on the app's read pool
    refresh_tokens = provide(SqlRefreshTokenRepository, provides=RefreshTokenRepository, scope=Scope.REQUEST)
    one_time_tokens = provide(SqlOneTimeTokenRepository, provides=OneTimeTokenRepository, scope=Scope.REQUEST)
    api_keys = provide(SqlApiKeyRepository, provides=AnyOf[ApiKeyRepository, ApiKeyDirectory], scope=Scope.REQUEST)
    identities = provide(SqlExternalIdentityRepository, provides=ExternalIdentityRepository, scope=Scope.REQUEST)
    audit_log = provide(SqlAuditLog, provides=AuditLog, scope=Scope.REQUEST)
    audit_chain = provide(SqlAuditChain, provides=AuditChain, scope=Scope.REQUEST)

    use_cases = provide_all(
        Auditor,
        VerifyAuditChain,
        AccountFactory,
        UnprovenAccess,
        UserAccess,
        GetMe,
        UpdateMe,
        ListUsers,
        GetUser,
        UpdateUser,
        DeleteUser,
        CreateUser,
        CreateApiKey,
        ListApiKeys,
        RevokeApiKey,
        ListAuditEvents,
        ListSessions,
        RevokeSession,
        PurgeExpiredCredentials,
        GetMfaStatus,
        ResetUserMfa,
        ListIdentities,
        UnlinkIdentity,
        scope=Scope.REQUEST,
    )
