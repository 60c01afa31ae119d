from __future__ import annotations

from application.platform.heartbeat import RecordHeartbeat
from tests.support.fakes import FixedClock, InMemoryHeartbeatStore


async def test_records_the_current_time_for_the_worker() -> None:
    store, clock = InMemoryHeartbeatStore(), FixedClock()
    at = await RecordHeartbeat(store, clock).execute("worker-1")
    assert at == clock.at
    assert store.beats == [("worker-1", clock.at)]
