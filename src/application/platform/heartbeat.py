"""The worker proves it is alive by recording a heartbeat on a schedule."""

from __future__ import annotations

from datetime import datetime

from application.shared.ports import Clock, HeartbeatStore


class RecordHeartbeat:
    """Records that a worker is alive, now.

    Called by the worker on start and on its schedule (no principal); raises only when the store does.
    """

    def __init__(self, store: HeartbeatStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def execute(self, worker_id: str) -> datetime:
        at = self._clock.now()
        await self._store.record(worker_id, at)
        return at
