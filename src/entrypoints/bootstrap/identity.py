"""dishka wiring of the identity module."""

from __future__ import annotations

from datetime import timedelta

from dishka import Provider, Scope, provide, provide_all
from redis.asyncio import Redis
from saq.queue.base import Queue

from adapters.mail.mailbox import MailboxMailer
from adapters.mail.smtp import SmtpMailer
from adapters.persistence.identity.api_keys import SqlApiKeyRepository
from adapters.persistence.identity.audit import SqlAuditLog
from adapters.persistence.identity.audit_chain import SqlAuditChain
from adapters.persistence.identity.one_time_tokens import SqlOneTimeTokenRepository
from adapters.persistence.identity.refresh_tokens import SqlRefreshTokenRepository
from adapters.persistence.identity.sessions import SqlSessionHolders, SqlSessionRepository
from adapters.persistence.identity.users import SqlUserRepository
from adapters.queue.mail_outbox import QueueMailOutbox
from adapters.redis.attempt_limiter import RedisAttemptLimiter
from adapters.security.argon2_hasher import Argon2PasswordHasher
from adapters.security.common_passwords import load_common_passwords
from adapters.security.jwt_codec import JwtAccessTokenCodec
from adapters.security.secret_tokens import RandomSecretTokens
from application.identity.accounts import AccountFactory, RegisterUser, ResendVerification, VerifyEmail
from application.identity.api_keys import CreateApiKey, ListApiKeys, RevokeApiKey
from application.identity.audit import Auditor, ListAuditEvents, VerifyAuditChain
from application.identity.authenticate import Authenticate
from application.identity.cleanup import PurgeExpiredCredentials
from application.identity.login import Login, LoginThrottle, Logout, LogoutAll, MailThrottle, RefreshTokens
from application.identity.passwords import ChangePassword, ForgotPassword, ResetPassword
from application.identity.policy import IdentityPolicy
from application.identity.ports import (
    AccessTokenCodec,
    ApiKeyRepository,
    AttemptLimiter,
    AuditChain,
    AuditLog,
    Mailer,
    MailOutbox,
    OneTimeTokenRepository,
    PasswordHasher,
    RefreshTokenRepository,
    SecretTokens,
    SessionHolders,
    SessionRepository,
    UserRepository,
)
from application.identity.sessions import ListSessions, RevokeSession
from application.identity.tokens import OneTimeTokens, SessionIssuer
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
from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings


class IdentityProvider(Provider):
    @provide(scope=Scope.APP)
    def policy(self, settings: Settings) -> IdentityPolicy:
        return IdentityPolicy(
            refresh_token_ttl=timedelta(days=settings.refresh_token_ttl_days),
            public_url=settings.email_link_base,
            registration_role=Role(settings.default_role),
        )

    @provide(scope=Scope.APP)
    def password_hasher(self) -> PasswordHasher:
        return Argon2PasswordHasher()

    @provide(scope=Scope.APP)
    def password_policy(self) -> PasswordPolicy:
        return PasswordPolicy(load_common_passwords())

    @provide(scope=Scope.APP)
    def token_codec(self, settings: Settings) -> AccessTokenCodec:
        return JwtAccessTokenCodec(
            settings.jwt_secret,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl=timedelta(seconds=settings.access_token_ttl_seconds),
        )

    secrets = provide(RandomSecretTokens, provides=SecretTokens, scope=Scope.APP)

    @provide(scope=Scope.APP)
    def attempt_limiter(self, redis: Redis) -> AttemptLimiter:
        return RedisAttemptLimiter(redis)

    @provide(scope=Scope.APP)
    def mail_outbox(self, queue: Queue) -> MailOutbox:
        return QueueMailOutbox(queue)

    @provide(scope=Scope.APP)
    def mailer(self, settings: Settings) -> Mailer:
        if settings.smtp_host:
            return SmtpMailer(
                settings.smtp_host,
                settings.smtp_port,
                settings.mail_from,
                username=settings.smtp_username,
                password=settings.smtp_password,
                starttls=settings.smtp_starttls,
            )
        return MailboxMailer(settings.mailbox_dir, settings.mail_from)

    users = provide(SqlUserRepository, provides=UserRepository, scope=Scope.REQUEST)
    sessions = provide(SqlSessionRepository, provides=SessionRepository, scope=Scope.REQUEST)
    session_holders = provide(SqlSessionHolders, provides=SessionHolders, scope=Scope.REQUEST)
    refresh_tokens = provide(SqlRefreshTokenRepository, provides=RefreshTokenRepository, scope=Scope.REQUEST)
    one_time_tokens = provide(SqlOneTimeTokenRepository, provides=OneTimeTokenRepository, scope=Scope.REQUEST)
    api_keys = provide(SqlApiKeyRepository, provides=ApiKeyRepository, scope=Scope.REQUEST)
    audit_log = provide(SqlAuditLog, provides=AuditLog, scope=Scope.REQUEST)
    audit_chain = provide(SqlAuditChain, provides=AuditChain, scope=Scope.REQUEST)

    use_cases = provide_all(
        Auditor,
        VerifyAuditChain,
        SessionIssuer,
        OneTimeTokens,
        LoginThrottle,
        MailThrottle,
        AccountFactory,
        UserAccess,
        RegisterUser,
        ResendVerification,
        VerifyEmail,
        Login,
        RefreshTokens,
        Logout,
        LogoutAll,
        ListSessions,
        RevokeSession,
        ForgotPassword,
        ResetPassword,
        ChangePassword,
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
        Authenticate,
        PurgeExpiredCredentials,
        scope=Scope.REQUEST,
    )
