"""Identity errors with the codes clients rely on."""

from __future__ import annotations

from domain.shared.errors import (
    AuthenticationError,
    ConflictError,
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


class TokenExpiredError(InvalidTokenError):
    """A genuine access token past its expiry: the client refreshes instead of signing in again."""

    default_code = "TOKEN_EXPIRED"
    default_message = "The access token has expired; refresh it."
