"""Token quotas per user and UTC day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class QuotaPeriod:
    key: str
    resets_at: datetime


def daily_period(now: datetime) -> QuotaPeriod:
    day = now.astimezone(UTC).date()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return QuotaPeriod(key=day.isoformat(), resets_at=start + timedelta(days=1))
