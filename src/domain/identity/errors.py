"""Identity errors with the codes clients rely on."""

from __future__ import annotations

from domain.shared.errors import (
    AuthenticationError,
    ConflictError,
    DomainError,
    PermissionDeniedError,
    RateLimitedError,
    ValidationError,
)


class EmailTakenError(ConflictError):
    default_code = "EMAIL_TAKEN"
    default_message = "An account with this email already exists."


class WeakPasswordError(ValidationError):
    default_code = "WEAK_PASSWORD"
    default_message = "The password is too weak."


class InvalidCredentialsError(AuthenticationError):
    default_code = "INVALID_CREDENTIALS"
    default_message = "Email or password is incorrect."


class EmailNotVerifiedError(PermissionDeniedError):
    default_code = "EMAIL_NOT_VERIFIED"
    default_message = "Verify your email address before signing in."


class InvalidTokenError(AuthenticationError):
    default_code = "INVALID_TOKEN"
    default_message = "The token is invalid or expired."


class TokenReusedError(AuthenticationError):
    default_code = "TOKEN_REUSED"
    default_message = "This refresh token was already used; the session has been revoked."


class TooManyAttemptsError(RateLimitedError):
    default_code = "TOO_MANY_ATTEMPTS"
    default_message = "Too many failed attempts. Try again later."


class ScopeExceedsRoleError(PermissionDeniedError):
    default_code = "SCOPE_NOT_ALLOWED"
    default_message = "An API key cannot have scopes its owner does not have."


class InteractiveSessionRequiredError(PermissionDeniedError):
    default_code = "SESSION_REQUIRED"
    default_message = "This action needs a signed-in session; API keys cannot perform it."


class InvalidOneTimeTokenError(ValidationError):
    default_code = "INVALID_OR_EXPIRED_TOKEN"
    default_message = "The link is invalid, expired or already used."


class SelfLockoutError(ConflictError):
    default_code = "SELF_LOCKOUT"
    default_message = "You cannot change your own role, deactivate or delete yourself."


class InvalidCurrentPasswordError(ValidationError):
    default_code = "INVALID_CURRENT_PASSWORD"
    default_message = "The current password is incorrect."


class AccountDisabledError(PermissionDeniedError):
    default_code = "ACCOUNT_DISABLED"
    default_message = "This account has been deactivated."


class MfaRequiredError(AuthenticationError):
    """Step-up: the session must prove the second factor again (POST /auth/step-up) before this action."""

    default_code = "MFA_REQUIRED"
    default_message = "This action needs a recent second factor: verify a code at /api/v1/auth/step-up."


class RecentSignInRequiredError(AuthenticationError):
    """An account without a password proves itself for MFA enrolment by a fresh sign-in, not by a password."""

    default_code = "RECENT_SIGN_IN_REQUIRED"
    default_message = "Sign in again, then set up multi-factor authentication within a few minutes."


class MfaEnrolmentRequiredError(PermissionDeniedError):
    default_code = "MFA_ENROLMENT_REQUIRED"
    default_message = "Admins must set up multi-factor authentication before using admin operations."


class InvalidMfaCodeError(ValidationError):
    """422 like INVALID_CURRENT_PASSWORD: the caller is who they say (or holds a challenge); the code is wrong."""

    default_code = "INVALID_MFA_CODE"
    default_message = "The authentication code is incorrect, expired or already used."


class MfaAlreadyEnabledError(ConflictError):
    default_code = "MFA_ALREADY_ENABLED"
    default_message = "Multi-factor authentication is already enabled; disable it first to enrol again."


class MfaNotEnabledError(ConflictError):
    default_code = "MFA_NOT_ENABLED"
    default_message = "Multi-factor authentication is not enabled for this account."


class OidcStateError(DomainError):
    """400: the callback does not answer a sign-in this browser started (unknown, used, expired or foreign state)."""

    default_code = "OIDC_STATE_INVALID"
    default_message = "This sign-in was not started here, has expired or was already used. Start again."


class OidcProviderError(DomainError):
    """400: the provider answered the callback with an error (the user declined, a misconfigured client)."""

    default_code = "OIDC_PROVIDER_ERROR"
    default_message = "The identity provider did not sign you in."


class OidcCodeRefusedError(DomainError):
    """400: the provider's token endpoint refused the authorization code."""

    default_code = "OIDC_CODE_REFUSED"
    default_message = "The identity provider refused the sign-in code. Start again."


class OidcIdTokenError(AuthenticationError):
    """401: the ID token failed validation; ``details.reason`` says which check."""

    default_code = "OIDC_ID_TOKEN_INVALID"
    default_message = "The identity provider's ID token is not valid."


class OidcEmailNotVerifiedError(ConflictError):
    default_code = "OIDC_EMAIL_NOT_VERIFIED"
    default_message = (
        "An account with this email exists, but the identity provider has not verified the email, so it is not "
        "linked. Sign in with your password and link the provider from your account."
    )


class OidcEmailMissingError(DomainError):
    default_code = "OIDC_EMAIL_MISSING"
    default_message = "The identity provider shared no email address; allow the email scope and try again."


class IdentityTakenError(ConflictError):
    default_code = "IDENTITY_LINKED_ELSEWHERE"
    default_message = "This provider account is already linked to another user."


class LastSignInMethodError(ConflictError):
    default_code = "LAST_SIGN_IN_METHOD"
    default_message = "This is your only way to sign in: set a password or link another provider first."


class TokenExpiredError(InvalidTokenError):
    """A genuine access token past its expiry: the client refreshes instead of signing in again."""

    default_code = "TOKEN_EXPIRED"
    default_message = "The access token has expired; refresh it."
