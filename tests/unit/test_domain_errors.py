from __future__ import annotations

from domain.shared.errors import ConflictError, DependencyUnavailableError, DomainError, NotFoundError, RateLimitedError


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


def test_dependency_unavailable_suggests_when_to_retry() -> None:
    assert DependencyUnavailableError().retry_after_seconds == DependencyUnavailableError.default_retry_after
    assert DependencyUnavailableError("Down.", retry_after_seconds=12).retry_after_seconds == 12
