"""Token quotas per user and UTC day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.shared.errors import RateLimitedError


@dataclass(frozen=True, slots=True)
class QuotaPeriod:
    key: str
    resets_at: datetime


def daily_period(now: datetime) -> QuotaPeriod:
    day = now.astimezone(UTC).date()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return QuotaPeriod(key=day.isoformat(), resets_at=start + timedelta(days=1))


class QuotaExceededError(RateLimitedError):
    default_code = "QUOTA_EXCEEDED"
    default_message = "Your token quota for this period is used up."

    def __init__(self, resets_at: datetime, now: datetime, limit: int) -> None:
        wait = max(1, int((resets_at - now).total_seconds()))
        super().__init__(wait)
        self.details.update({"resets_at": resets_at.isoformat(), "limit": limit})
