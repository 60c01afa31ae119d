"""Request and response bodies of the identity API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec

from application.identity.api_keys import MAX_KEY_NAME_LENGTH
from application.identity.login import MfaChallenge
from application.identity.mfa import MfaSetup, MfaStatus
from application.identity.oidc import OidcOutcome
from application.identity.ports import OidcProviderInfo
from application.identity.sessions import SessionView
from application.identity.tokens import TokenPair
from domain.identity.models import MAX_DISPLAY_NAME_LENGTH, ApiKey, AuditEvent, ExternalIdentity, User
from domain.identity.principal import Principal
from domain.identity.roles import Permission, Role
from entrypoints.http.request_mapping import shows_email
from entrypoints.http.schemas import Body, Instant, Schema
from entrypoints.http.text_rules import display_name, line

# generous upper bounds that stop abuse before policy checks give the precise message
Email = Annotated[str, line(320)]
Password = Annotated[str, msgspec.Meta(max_length=1024)]  # hashed, never stored or shown as text
KeyName = Annotated[str, line(MAX_KEY_NAME_LENGTH, not_blank=True)]
DisplayName = Annotated[str, display_name(MAX_DISPLAY_NAME_LENGTH)]
Token = Annotated[str, line(512, min_length=1)]
# a 6-digit TOTP code or a recovery code (xxxx-xxxx-xxxx), spaces and dashes allowed
MfaCode = Annotated[str, line(32, min_length=1)]


class RegisterBody(Body):
    email: Email
    password: Password
    display_name: DisplayName


class TokenBody(Body):
    token: Token


class EmailBody(Body):
    email: Email


class LoginBody(Body):
    email: Email
    password: Password


class RefreshBody(Body):
    refresh_token: Token


class ResetPasswordBody(Body):
    token: Token
    password: Password


class MfaLoginBody(Body):
    mfa_token: Token
    code: MfaCode


class MfaCodeBody(Body):
    code: MfaCode


class StartMfaBody(Body):
    # the account's password; an account without one (made by OIDC) sends none and must have signed in recently
    password: Password | None = None


class DisableMfaBody(Body):
    password: Password
    code: MfaCode


class ChangePasswordBody(Body):
    current_password: Password
    new_password: Password


class UpdateMeBody(Body):
    display_name: DisplayName | None = None


class UpdateUserBody(Body):
    role: Role | None = None
    is_active: bool | None = None
    display_name: DisplayName | None = None


class CreateApiKeyBody(Body):
    name: KeyName
    scopes: Annotated[list[Permission], msgspec.Meta(min_length=1, max_length=20)]
    expires_at: Instant | None = None


class UserOut(Schema):
    id: UUID
    display_name: str
    role: Role
    is_active: bool
    email_verified: bool
    created_at: datetime
    updated_at: datetime
    email: str | msgspec.UnsetType = msgspec.UNSET

    @classmethod
    def of(cls, user: User, viewer: Principal | None) -> UserOut:
        """The email is shown only to the user themself and to those who may read all users."""
        show_email = shows_email(viewer, user.id)
        return cls(
            id=user.id,
            display_name=user.display_name,
            role=user.role,
            is_active=user.is_active,
            email_verified=user.is_verified,
            created_at=user.created_at,
            updated_at=user.updated_at,
            email=user.email if show_email else msgspec.UNSET,
        )


class TokenPairOut(Schema):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"

    @classmethod
    def of(cls, pair: TokenPair) -> TokenPairOut:
        return cls(access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in)


class MfaChallengeOut(Schema):
    """The password was right and the account has MFA: send ``mfa_token`` and a code to /auth/login/mfa."""

    mfa_required: bool
    mfa_token: str
    expires_in: int

    @classmethod
    def of(cls, challenge: MfaChallenge) -> MfaChallengeOut:
        return cls(mfa_required=True, mfa_token=challenge.token, expires_in=challenge.expires_in)


class MfaSetupOut(Schema):
    secret: str  # base32, to type into an authenticator app
    otpauth_uri: str  # otpauth://totp/Lore:<email>?secret=...&issuer=Lore, to show as a QR code

    @classmethod
    def of(cls, setup: MfaSetup) -> MfaSetupOut:
        return cls(secret=setup.secret, otpauth_uri=setup.uri)


class RecoveryCodesOut(Schema):
    recovery_codes: list[str]  # shown only in this response; each works once


class MfaStatusOut(Schema):
    enabled: bool
    pending: bool
    recovery_codes_left: int
    confirmed_at: datetime | None = None

    @classmethod
    def of(cls, status: MfaStatus) -> MfaStatusOut:
        return cls(
            enabled=status.enabled,
            pending=status.pending,
            recovery_codes_left=status.recovery_codes_left,
            confirmed_at=status.confirmed_at,
        )


class StepUpOut(Schema):
    mfa_at: datetime
    valid_for: int  # seconds a sensitive action is allowed from now on


class OidcProviderOut(Schema):
    name: str
    display_name: str
    start_url: str  # send the browser here to sign in

    @classmethod
    def of(cls, info: OidcProviderInfo) -> OidcProviderOut:
        return cls(name=info.name, display_name=info.display_name, start_url=f"/api/v1/auth/oidc/{info.name}/start")


class AuthorizationUrlOut(Schema):
    authorization_url: str  # send the browser here; the callback links the provider to the caller's account


class IdentityOut(Schema):
    id: UUID
    provider: str
    subject: str
    linked_at: datetime
    email: str | None = None

    @classmethod
    def of(cls, identity: ExternalIdentity) -> IdentityOut:
        return cls(
            id=identity.id,
            provider=identity.provider,
            subject=identity.subject,
            linked_at=identity.linked_at,
            email=identity.email,
        )


class OidcCallbackOut(Schema):
    """A sign-in (``intent`` sign_in: the token pair) or a link by a signed-in user (link: no tokens)."""

    intent: str
    identity: IdentityOut
    account_created: bool
    access_token: str | None = None
    refresh_token: str | None = None
    expires_in: int | None = None
    token_type: str = "Bearer"

    @classmethod
    def of(cls, outcome: OidcOutcome) -> OidcCallbackOut:
        pair = outcome.tokens
        return cls(
            intent=outcome.intent.value,
            identity=IdentityOut.of(outcome.identity),
            account_created=outcome.account_created,
            access_token=None if pair is None else pair.access_token,
            refresh_token=None if pair is None else pair.refresh_token,
            expires_in=None if pair is None else pair.expires_in,
        )


class SessionOut(Schema):
    id: UUID
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool
    user_agent: str | None = None
    ip_address: str | None = None
    amr: list[str] = msgspec.field(default_factory=list)  # how the session was proven: "pwd", "otp"
    mfa_at: datetime | None = None  # its last second factor (sign-in or step-up)

    @classmethod
    def of(cls, view: SessionView) -> SessionOut:
        s = view.session
        return cls(
            id=s.id,
            created_at=s.created_at,
            last_used_at=s.last_used_at,
            expires_at=s.expires_at,
            current=view.current,
            user_agent=s.user_agent,
            ip_address=s.ip_address,
            amr=list(s.amr),
            mfa_at=s.mfa_at,
        )


class ApiKeyOut(Schema):
    id: UUID
    name: str
    prefix: str
    scopes: list[Permission]
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(**_key_fields(key))


class CreatedApiKeyOut(ApiKeyOut):
    secret: str = ""  # shown once, never stored in clear

    @classmethod
    def of_created(cls, key: ApiKey, secret: str) -> CreatedApiKeyOut:
        return cls(**_key_fields(key), secret=secret)


def _key_fields(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": f"lore_{key.prefix}",
        "scopes": sorted(key.scopes),
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "last_used_at": key.last_used_at,
        "revoked_at": key.revoked_at,
    }


class AuditEventOut(Schema):
    """One audited action: who (user and API key), from where (client address, request id), on what, and how
    it ended (success, failure, denied)."""

    id: UUID
    action: str
    occurred_at: datetime
    outcome: str
    details: dict[str, Any]
    actor_id: UUID | None = None
    actor_api_key_id: UUID | None = None
    subject_id: UUID | None = None
    target_type: str | None = None
    target_id: str | None = None
    ip_address: str | None = None
    request_id: str | None = None

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            id=event.id,
            action=event.action.value,
            occurred_at=event.occurred_at,
            outcome=event.outcome.value,
            details=dict(event.details),
            actor_id=event.actor_id,
            actor_api_key_id=event.actor_key_id,
            subject_id=event.subject_id,
            target_type=event.target_type,
            target_id=event.target_id,
            ip_address=event.ip_address,
            request_id=event.request_id,
        )
