"""Ports shared by every module."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar
from uuid import UUID

T = TypeVar("T")


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> UUID:
        """A new time-ordered id (UUIDv7)."""
        ...


class UnitOfWork(Protocol):
    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class DependencyProbe(Protocol):
    """A round-trip check of one external dependency."""

    @property
    def name(self) -> str: ...

    async def check(self) -> None:
        """Return when the dependency answered; raise when it did not."""
        ...


class HeartbeatStore(Protocol):
    async def record(self, worker_id: str, at: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int = 20
    offset: int = 0
    sort: str = "-created_at"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T] = field(default_factory=list)
    total: int = 0
    limit: int = 20
    offset: int = 0
