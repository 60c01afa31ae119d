"""JobQueue against a Redis that is not there: its worker-side calls wait and report, never raise."""

from __future__ import annotations

from pathlib import Path

from adapters.queue.redis_outage import Backoff, RedisOutage
from adapters.queue.saq_queue import create_queue
from entrypoints.bootstrap.settings import Settings


async def test_calls_to_a_missing_redis_are_paced_and_noted_and_a_live_one_clears_the_outage(
    tmp_path: Path, settings: Settings
) -> None:
    gone = create_queue(f"unix://{tmp_path / 'no-redis.sock'}", "outage", job_heartbeat_seconds=30)
    gone.outage = RedisOutage(Backoff(rng=lambda: 0.0))  # no real wait in the test
    try:
        assert await gone.dequeue(timeout=1) is None
        assert gone.outage.down
        assert await gone.sweep() == []
        await gone.write_worker_info("w1", {"stats": None, "queue_key": "outage", "metadata": None}, ttl=10)
        assert await gone.outlast(gone.count("queued")) is None
    finally:
        await gone.redis.aclose()

    live = create_queue(settings.require_redis_url, "outage", job_heartbeat_seconds=30)
    live.outage = gone.outage
    try:
        assert await live.dequeue(timeout=0.1) is None  # an empty queue: no job, and Redis answered
        assert not live.outage.down
        assert await live.outlast(live.count("queued"), reaches_redis=True) == 0
    finally:
        await live.disconnect()
