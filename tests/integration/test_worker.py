"""The SAQ worker runs real jobs through the shared container, traced."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from application.shared.ports import HeartbeatStore
from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.runtime import job_queue
from entrypoints.bootstrap.settings import Settings
from entrypoints.worker.app import HEARTBEAT_CRON, build_worker


async def test_worker_records_heartbeats_on_start_and_on_demand(
    settings: Settings, spans: InMemorySpanExporter
) -> None:
    container = build_container(settings)
    worker = build_worker(settings, container, handle_signals=False)
    running = asyncio.create_task(worker.start())
    queue = job_queue(settings)
    try:
        store = await container.get(HeartbeatStore)
        for _ in range(100):
            if await store.last_seen() is not None:
                break
            await asyncio.sleep(0.05)
        first = await store.last_seen()
        assert first is not None
        assert datetime.now(UTC) - first < timedelta(seconds=10)

        result = await queue.apply("heartbeat", timeout=10)
        assert datetime.fromisoformat(result) >= first
        assert await store.last_seen() == datetime.fromisoformat(result)
    finally:
        await queue.disconnect()
        await worker.stop()
        await running
        await container.close()

    consumer = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CONSUMER]
    assert "worker heartbeat" in {s.name for s in consumer}
    job_span = next(
        s for s in consumer if s.name == "worker heartbeat" and s.attributes and "messaging.message.id" in s.attributes
    )
    children = [
        s for s in spans.get_finished_spans() if s.parent is not None and s.parent.span_id == job_span.context.span_id
    ]
    assert any(s.attributes and s.attributes.get("db.system") == "redis" for s in children)


def test_heartbeat_is_scheduled_every_30_seconds() -> None:
    from croniter import croniter

    start = datetime(2026, 1, 1, tzinfo=UTC)
    schedule = croniter(HEARTBEAT_CRON, start)
    assert schedule.get_next(datetime) - start == timedelta(seconds=30)
