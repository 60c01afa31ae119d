"""/api/v1/admin/status: are the background workers alive, and how much work waits (admin)."""

from __future__ import annotations

from datetime import datetime

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get

from application.platform.worker_status import GetWorkerStatus, QueueStatus, WorkerHeartbeat
from entrypoints.http.errors import error_responses
from entrypoints.http.schemas import DataEnvelope, Schema


class WorkerOut(Schema):
    worker_id: str
    alive: bool
    last_seen: datetime
    expires_at: datetime
    completed: int
    failed: int
    retried: int
    aborted: int
    uptime_seconds: float | None = None

    @classmethod
    def of(cls, worker: WorkerHeartbeat) -> WorkerOut:
        return cls(
            worker_id=worker.worker_id,
            alive=worker.alive,
            last_seen=worker.last_seen,
            expires_at=worker.expires_at,
            completed=worker.completed,
            failed=worker.failed,
            retried=worker.retried,
            aborted=worker.aborted,
            uptime_seconds=worker.uptime_seconds,
        )


class QueueOut(Schema):
    name: str
    queued: int
    active: int
    scheduled: int
    alive_workers: int
    workers: list[WorkerOut]
    oldest_waiting_seconds: float | None = None

    @classmethod
    def of(cls, queue: QueueStatus) -> QueueOut:
        return cls(
            name=queue.name,
            queued=queue.queued,
            active=queue.active,
            scheduled=queue.scheduled,
            alive_workers=queue.alive_workers,
            workers=[WorkerOut.of(worker) for worker in queue.workers],
            oldest_waiting_seconds=queue.oldest_waiting_seconds,
        )


class StatusOut(Schema):
    """``healthy`` is false when a queue has no live worker: jobs then wait for ever."""

    healthy: bool
    checked_at: datetime
    queues: list[QueueOut]


class StatusController(Controller):
    path = "/admin/status"
    tags = ["admin"]  # noqa: RUF012 - litestar's declared type

    @get(
        "/",
        summary="Worker heartbeats, queue depths and the oldest waiting job (admin)",
        responses=error_responses(401, 403, 503),
    )
    @inject
    async def status(self, worker_status: FromDishka[GetWorkerStatus]) -> DataEnvelope[StatusOut]:
        # admins only: the permission table's guard has checked the caller
        status = await worker_status.execute()
        return DataEnvelope(
            data=StatusOut(
                healthy=status.healthy,
                checked_at=status.checked_at,
                queues=[QueueOut.of(queue) for queue in status.queues],
            )
        )
