"""Ports shared by every module."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class DependencyProbe(Protocol):
    """A round-trip check of one external dependency."""

    @property
    def name(self) -> str: ...

    async def check(self) -> None:
        """Return when the dependency answered; raise when it did not."""
        ...


class HeartbeatStore(Protocol):
    async def record(self, worker_id: str, at: datetime) -> None: ...

    async def last_seen(self) -> datetime | None: ...
