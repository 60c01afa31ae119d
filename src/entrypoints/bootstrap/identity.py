"""dishka wiring of the identity module."""

from __future__ import annotations

from datetime import timedelta

from dishka import Provider, Scope, provide, provide_all
from redis.asyncio import Redis
from saq.queue.base import Queue

from adapters.mail.mailbox import MailboxMailer
from adapters.mail.smtp import SmtpMailer
from adapters.oidc.provider import AuthlibOidcProvider, ConfiguredOidcProviders, OidcProviderConfig
from adapters.queue.mail_outbox import QueueMailOutbox
from adapters.redis.attempt_limiter import RedisAttemptLimiter
from adapters.redis.pending_sign_ins import RedisPendingSignIns
from adapters.security.jwt_codec import JwtAccessTokenCodec
from adapters.security.key_ring import KeyRing
from application.identity.accounts import RegisterUser, ResendVerification, VerifyEmail
from application.identity.authenticate import Authenticate, AuthenticateAccessToken
from application.identity.login import Login, LoginThrottle, Logout, LogoutAll, MailThrottle, RefreshTokens
from application.identity.mfa import (
    ConfirmMfaEnrolment,
    DisableMfa,
    RegenerateRecoveryCodes,
    SecondFactor,
    StartMfaEnrolment,
    StepUp,
)
from application.identity.mfa_login import CompleteMfaLogin
from application.identity.oidc import FinishOidcSignIn, ListOidcProviders, StartOidcSignIn
from application.identity.passwords import ChangePassword, ForgotPassword, ResetPassword
from application.identity.policy import IdentityPolicy
from application.identity.ports import (
    AccessTokenCodec,
    AttemptLimiter,
    Mailer,
    MailOutbox,
    OidcProviders,
    PendingSignIns,
)
from application.identity.tokens import OneTimeTokens, SessionIssuer
from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings


class IdentityProvider(Provider):
    """Sign-in, tokens, mail and throttling: what needs JWT, Redis or the queue (the rest: IdentityStoreProvider)."""

    @provide(scope=Scope.APP)
    def policy(self, settings: Settings) -> IdentityPolicy:
        return IdentityPolicy(
            refresh_token_ttl=timedelta(days=settings.refresh_token_ttl_days),
            public_url=settings.email_link_base,
            registration_role=Role(settings.default_role),
            mfa_step_up_max_age=timedelta(seconds=settings.mfa_step_up_seconds),
            mfa_required_for_admins=settings.mfa_required_for_admins,
        )

    @provide(scope=Scope.APP)
    def token_codec(self, settings: Settings, keys: KeyRing) -> AccessTokenCodec:
        return JwtAccessTokenCodec(
            keys,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl=timedelta(seconds=settings.access_token_ttl_seconds),
        )

    @provide(scope=Scope.APP)
    def attempt_limiter(self, redis: Redis) -> AttemptLimiter:
        return RedisAttemptLimiter(redis)

    @provide(scope=Scope.APP)
    def pending_sign_ins(self, redis: Redis) -> PendingSignIns:
        return RedisPendingSignIns(redis)

    @provide(scope=Scope.APP)
    def oidc_providers(self, settings: Settings) -> OidcProviders:
        base = settings.public_url.rstrip("/")
        return ConfiguredOidcProviders(
            [
                AuthlibOidcProvider(
                    OidcProviderConfig(
                        name=name,
                        display_name=provider.display_name or name,
                        issuer=provider.issuer,
                        client_id=provider.client_id,
                        client_secret=provider.client_secret,
                        redirect_uri=f"{base}/api/v1/auth/oidc/{name}/callback",
                        scopes=tuple(provider.scopes),
                    )
                )
                for name, provider in settings.oidc_provider_settings.items()
            ]
        )

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

    # every authenticated request needs it: made once, from app-wide parts only
    access_tokens = provide(AuthenticateAccessToken, scope=Scope.APP)

    use_cases = provide_all(
        SessionIssuer,
        OneTimeTokens,
        LoginThrottle,
        MailThrottle,
        RegisterUser,
        ResendVerification,
        VerifyEmail,
        Login,
        RefreshTokens,
        Logout,
        LogoutAll,
        ForgotPassword,
        ResetPassword,
        ChangePassword,
        Authenticate,
        SecondFactor,
        StartMfaEnrolment,
        CompleteMfaLogin,
        ConfirmMfaEnrolment,
        RegenerateRecoveryCodes,
        StepUp,
        DisableMfa,
        ListOidcProviders,
        StartOidcSignIn,
        FinishOidcSignIn,
        scope=Scope.REQUEST,
    )
