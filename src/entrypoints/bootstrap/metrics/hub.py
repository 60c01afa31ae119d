"""Metrics of every Lore process in one scrape, through Redis.

Each process (API or worker) writes a snapshot of its cumulative metrics to Redis every
``METRICS_PUBLISH_SECONDS``, under its ``service.instance.id`` and with an expiry of a few intervals.
``GET /metrics`` on any API process publishes its own snapshot, reads all live ones and renders each
process's series with a ``service_instance_id`` label: counters stay monotonic per process (a restart
is an ordinary counter reset) and ``sum(...)`` over the label gives the totals. A process that stops
drops out once its snapshot expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from opentelemetry.instrumentation.utils import suppress_instrumentation
from redis.asyncio import Redis

from adapters.queue.backlog import QueueBacklog
from entrypoints.bootstrap.metrics.exposition import Snapshot, decode, encode, render, snapshot_of
from entrypoints.bootstrap.metrics.provider import collect, instance_id
from entrypoints.bootstrap.outages import OutageLog, failed_dependency
from entrypoints.bootstrap.settings import Settings

logger = logging.getLogger("lore.metrics")

KEY_PREFIX = "lore:metrics:instance:"
MIN_TTL_SECONDS = 30


class MetricsHub:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self._redis = redis
        self._interval = settings.metrics_publish_seconds
        self._ttl = max(MIN_TTL_SECONDS, int(self._interval * 3))
        self._backlog = QueueBacklog(redis, settings.worker_queue)
        self._outages = OutageLog(logger, "Metrics store (Redis); /metrics shows this process only while it is")

    def _local(self) -> Snapshot:
        return snapshot_of(collect(), instance_id())

    async def publish(self) -> Snapshot:
        """Refresh the queue gauges, then store this process's snapshot; the snapshot either way."""
        with suppress_instrumentation():  # a span per round (and per scrape) would be noise in every trace
            return await self._publish()

    async def _publish(self) -> Snapshot:
        try:
            await self._backlog.refresh()
            snapshot = self._local()
            await self._redis.set(KEY_PREFIX + snapshot.instance, encode(snapshot), ex=self._ttl)
        except Exception as exc:
            if failed_dependency(exc) not in ("redis", "queue"):
                raise
            self._outages.failed(exc)
            return self._local()
        self._outages.succeeded()
        return snapshot

    async def scrape(self) -> str:
        own = await self.publish()
        try:
            with suppress_instrumentation():
                keys = [key async for key in self._redis.scan_iter(match=KEY_PREFIX + "*", count=500)]
                raws = await self._redis.mget(keys) if keys else []
        except Exception as exc:
            if failed_dependency(exc) not in ("redis", "queue"):
                raise
            self._outages.failed(exc)
            raws = []
        others = [s for s in (decode(raw) for raw in raws if raw) if s is not None and s.instance != own.instance]
        return render([own, *others])

    async def run(self, stopping: asyncio.Event) -> None:
        """Publish every interval until ``stopping`` is set."""
        while not stopping.is_set():
            try:
                await self.publish()
            except Exception:  # a bug here must not end the loop: the next round tries again
                logger.exception("publishing metrics failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self._interval)


class Publishing:
    """The hub's publishing loop as a task owned by an app or worker."""

    def __init__(self, hub: MetricsHub) -> None:
        self._hub = hub
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._hub.run(self._stopping), name="metrics-publisher")

    async def stop(self) -> None:
        """Ends the loop (a round under way may finish: its Redis calls have timeouts), then publishes once more,
        so the last counts of a stopping process still reach the next scrape."""
        self._stopping.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._hub.publish()
