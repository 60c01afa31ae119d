"""In-memory fakes of our own ports, for use-case unit tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime


class FixedClock:
    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


class FakeProbe:
    def __init__(self, name: str, *, error: Exception | None = None, delay: float = 0.0) -> None:
        self.name = name
        self._error = error
        self._delay = delay
        self.calls = 0

    async def check(self) -> None:
        self.calls += 1
        if self._delay:
            await asyncio.sleep(self._delay)
        if self._error is not None:
            raise self._error


class InMemoryHeartbeatStore:
    def __init__(self) -> None:
        self.beats: list[tuple[str, datetime]] = []

    async def record(self, worker_id: str, at: datetime) -> None:
        self.beats.append((worker_id, at))
