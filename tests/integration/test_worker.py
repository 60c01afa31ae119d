"""The SAQ worker runs real jobs through the shared container, traced."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from redis.asyncio import Redis
from saq.job import Status

from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.runtime import job_queue
from entrypoints.bootstrap.settings import Settings
from entrypoints.worker.app import HEARTBEAT_CRON, LoreWorker, build_worker
from entrypoints.worker.tasks import Context
from tests.support.observe import last_heartbeat


async def test_worker_records_heartbeats_on_start_and_on_demand(
    settings: Settings, spans: InMemorySpanExporter
) -> None:
    container = build_container(settings)
    worker = build_worker(settings, container, handle_signals=False)
    running = asyncio.create_task(worker.start())
    queue = job_queue(settings)
    try:
        redis = await container.get(Redis)
        deadline = asyncio.get_running_loop().time() + 30  # generous: a loaded machine starts slowly
        while await last_heartbeat(redis) is None and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        first = await last_heartbeat(redis)
        assert first is not None
        assert datetime.now(UTC) - first < timedelta(seconds=60)

        result = await queue.apply("heartbeat", timeout=30)
        assert datetime.fromisoformat(result) >= first
        # the 30 s cron may beat again in between; the on-demand beat is recorded or superseded, never lost
        assert (await last_heartbeat(redis) or first) >= datetime.fromisoformat(result)
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


async def test_an_idle_worker_stops_without_waiting_out_the_grace_period(settings: Settings) -> None:
    patient = msgspec.structs.replace(settings, worker_shutdown_grace_seconds=600)
    container = build_container(patient)
    worker = build_worker(patient, container, handle_signals=False)
    running = asyncio.create_task(worker.start())
    try:
        redis = await container.get(Redis)
        for _ in range(200):  # started: its first heartbeat is written
            if await last_heartbeat(redis) is not None:
                break
            await asyncio.sleep(0.05)
        # a bound far below the 600 s grace: an idle worker has nothing to wait for
        await asyncio.wait_for(worker.stop(), timeout=60)
        await asyncio.wait_for(running, timeout=60)
    finally:
        running.cancel()
        await container.close()


async def test_a_job_running_at_shutdown_is_given_the_grace_period_to_finish(settings: Settings) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(_ctx: Context) -> str:
        started.set()
        await release.wait()
        return "finished"

    queue = job_queue(msgspec.structs.replace(settings, worker_queue="grace-test"))
    worker = LoreWorker(queue, functions=[("slow", slow)], shutdown_grace_period_s=60)
    worker.SIGNALS = []
    running = asyncio.create_task(worker.start())
    try:
        job = await queue.enqueue("slow", timeout=120)
        assert job is not None
        await asyncio.wait_for(started.wait(), timeout=30)
        stopping = asyncio.create_task(worker.stop())
        await asyncio.sleep(0.5)  # time for a stop that cancels jobs to do so
        assert not stopping.done()
        release.set()
        await asyncio.wait_for(stopping, timeout=60)
        await asyncio.wait_for(running, timeout=60)
        await job.refresh()
        assert (job.status, job.result) == (Status.COMPLETE, "finished")
    finally:
        release.set()
        running.cancel()
        await queue.disconnect()
