from __future__ import annotations

from datetime import UTC, datetime, timedelta

from application.platform.worker_status import GetWorkerStatus, QueueStatus, WorkerHeartbeat
from tests.support.identity_fakes import MovableClock

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def _worker(alive: bool) -> WorkerHeartbeat:
    return WorkerHeartbeat("w1", alive, NOW - timedelta(seconds=5), NOW + timedelta(seconds=6))


class _Source:
    def __init__(self, *queues: QueueStatus) -> None:
        self._queues = queues
        self.asked_at: datetime | None = None

    async def queues(self, now: datetime) -> tuple[QueueStatus, ...]:
        self.asked_at = now
        return self._queues


async def test_healthy_only_when_every_queue_has_a_live_worker() -> None:
    clock = MovableClock(NOW)
    served = QueueStatus("lore", 0, 1, 0, None, (_worker(alive=True), _worker(alive=False)))
    orphaned = QueueStatus("mail", 4, 0, 0, 120.0, (_worker(alive=False),))
    source = _Source(served)

    status = await GetWorkerStatus(source, clock).execute()
    assert (status.healthy, status.checked_at, source.asked_at) == (True, NOW, NOW)
    assert served.alive_workers == 1

    status = await GetWorkerStatus(_Source(served, orphaned), clock).execute()
    assert status.healthy is False
    assert orphaned.alive_workers == 0
