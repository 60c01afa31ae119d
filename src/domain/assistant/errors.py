"""Assistant errors with the codes clients rely on."""

from __future__ import annotations

from datetime import datetime

from domain.shared.errors import DependencyUnavailableError, RateLimitedError


class AllProvidersFailedError(DependencyUnavailableError):
    default_code = "LLM_UNAVAILABLE"
    default_message = "No language model provider could answer right now. Try again shortly."


class QuotaExceededError(RateLimitedError):
    default_code = "QUOTA_EXCEEDED"
    default_message = "Your token quota for this period is used up."

    def __init__(self, resets_at: datetime, now: datetime, limit: int) -> None:
        wait = max(1, int((resets_at - now).total_seconds()))
        super().__init__(wait)
        self.details.update({"resets_at": resets_at.isoformat(), "limit": limit})
