"""Is background work being done? Worker heartbeats and queue backlogs, for operators (not readiness)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from application.shared.ports import Clock


@dataclass(frozen=True, slots=True)
class WorkerHeartbeat:
    worker_id: str
    alive: bool  # its last report has not expired yet
    last_seen: datetime  # when it last reported
    expires_at: datetime  # when that report stops vouching for it
    uptime_seconds: float | None = None
    completed: int = 0
    failed: int = 0
    retried: int = 0
    aborted: int = 0


@dataclass(frozen=True, slots=True)
class QueueStatus:
    name: str
    queued: int  # ready and waiting for a worker
    active: int  # being worked on
    scheduled: int  # waiting for their time (retries, cron)
    oldest_waiting_seconds: float | None  # age of the job at the head of the queue
    workers: tuple[WorkerHeartbeat, ...] = field(default_factory=tuple)

    @property
    def alive_workers(self) -> int:
        return sum(1 for worker in self.workers if worker.alive)


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    checked_at: datetime
    queues: tuple[QueueStatus, ...]

    @property
    def healthy(self) -> bool:
        """Every queue has a live worker."""
        return all(queue.alive_workers > 0 for queue in self.queues)


class WorkerStatusSource(Protocol):
    async def queues(self, now: datetime) -> tuple[QueueStatus, ...]: ...


class GetWorkerStatus:
    """Which workers are alive, when each was last seen, and how much work waits per queue.

    Operators (the CLI; over HTTP admins); raises only when the queue store does.
    """

    def __init__(self, source: WorkerStatusSource, clock: Clock) -> None:
        self._source = source
        self._clock = clock

    async def execute(self) -> WorkerStatus:
        now = self._clock.now()
        return WorkerStatus(checked_at=now, queues=await self._source.queues(now))
