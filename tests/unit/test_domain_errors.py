from __future__ import annotations

from domain.shared.errors import ConflictError, DomainError, NotFoundError, RateLimitedError


def test_defaults_and_overrides() -> None:
    assert NotFoundError().code == "NOT_FOUND"
    error = ConflictError("Email taken", code="EMAIL_TAKEN", details={"field": "email"})
    assert (error.code, error.message, error.details) == ("EMAIL_TAKEN", "Email taken", {"field": "email"})
    assert isinstance(error, DomainError)
    assert str(error) == "Email taken"


def test_rate_limited_carries_retry_after() -> None:
    error = RateLimitedError(30)
    assert error.retry_after_seconds == 30
    assert error.details == {"retry_after": 30}
