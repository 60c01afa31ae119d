"""Base errors raised by the domain and application layers.

Each error carries a stable machine-readable ``code``; the HTTP layer maps the
error *class* to a status code, so rules never mention HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class DomainError(Exception):
    """A rule of the business was broken; safe to show to the caller."""

    default_code: ClassVar[str] = "DOMAIN_ERROR"
    default_message: ClassVar[str] = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.details: dict[str, Any] = dict(details or {})
        super().__init__(self.message)


class NotFoundError(DomainError):
    default_code = "NOT_FOUND"
    default_message = "The resource does not exist or is not visible to you."


class ConflictError(DomainError):
    default_code = "CONFLICT"
    default_message = "The request conflicts with the current state."


class ValidationError(DomainError):
    default_code = "VALIDATION_ERROR"
    default_message = "The request is not valid."


class AuthenticationError(DomainError):
    default_code = "UNAUTHENTICATED"
    default_message = "Authentication is required."


class PermissionDeniedError(DomainError):
    default_code = "FORBIDDEN"
    default_message = "You do not have permission to do this."


class RateLimitedError(DomainError):
    default_code = "RATE_LIMITED"
    default_message = "Too many requests."

    def __init__(self, retry_after_seconds: int, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message, code=code, details={"retry_after": retry_after_seconds})
        self.retry_after_seconds = retry_after_seconds


class PayloadTooLargeError(DomainError):
    default_code = "PAYLOAD_TOO_LARGE"
    default_message = "The request body is too large."


class UnsupportedMediaTypeError(DomainError):
    default_code = "UNSUPPORTED_MEDIA_TYPE"
    default_message = "This content type is not supported."


class DependencyUnavailableError(DomainError):
    """A service we depend on is down; ``retry_after_seconds`` tells the caller when to try again."""

    default_code = "SERVICE_UNAVAILABLE"
    default_message = "A required service is unavailable."
    default_retry_after: ClassVar[int] = 5

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
        retry_after_seconds: int | None = None,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after_seconds = retry_after_seconds if retry_after_seconds is not None else self.default_retry_after
