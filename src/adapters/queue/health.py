"""Worker heartbeats and queue backlogs, read from SAQ's own Redis state (SAQ 0.26 layout).

Each SAQ worker writes ``saq:<queue>:worker_info:<id>`` (its stats, with a TTL) every ``worker_info`` timer
and scores that key in the ``saq:<queue>:stats`` sorted set with the time its report expires. A worker that
died leaves a score in the past until another worker's report prunes it (or the set itself expires), so a
dead worker reads first as not alive and then as gone. Jobs wait in the ``queued`` list (oldest on the left),
run from ``active`` and wait for their time in ``incomplete``. The waiting jobs are read by read_backlog, the
reader the queue gauges use too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from saq.queue.redis import RedisQueue

from adapters.queue.backlog import OTHER, read_backlog
from application.platform.worker_status import QueueStatus, WorkerHeartbeat

# SAQ's worker_info timer as the worker sets it; a report then lives one second longer
WORKER_INFO_SECONDS = 10
WORKER_INFO_TTL = timedelta(seconds=WORKER_INFO_SECONDS + 1)


def _at(millis: float) -> datetime:
    return datetime.fromtimestamp(millis / 1000, UTC)


class SaqWorkerStatus:
    def __init__(self, redis: Redis, queue_names: Sequence[str]) -> None:
        self._redis = redis
        self._names = tuple(queue_names)
        # for their key names and job decoding only
        self._saq = {name: RedisQueue(redis, name=name) for name in self._names}

    async def queues(self, now: datetime) -> tuple[QueueStatus, ...]:
        return tuple([await self._queue(name, now) for name in self._names])

    async def _queue(self, name: str, now: datetime) -> QueueStatus:
        prefix = f"saq:{name}"
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.llen(f"{prefix}:active")
            pipe.zcard(f"{prefix}:incomplete")
            pipe.zrange(f"{prefix}:stats", 0, -1, withscores=True)
            active, incomplete, reports = await pipe.execute()
        backlog = await read_backlog(self._redis, self._saq[name], at_millis=now.timestamp() * 1000)
        queued = sum(task.depth for task in backlog.values())
        # the jobs past the read limit are newer than the ones read (the list is oldest first)
        ages = [task.oldest_age_seconds for task_name, task in backlog.items() if task_name != OTHER]
        return QueueStatus(
            name=name,
            queued=queued,
            active=int(active),
            scheduled=max(int(incomplete) - queued - int(active), 0),
            oldest_waiting_seconds=max(ages, default=None),
            workers=await self._workers(prefix, reports, now),
        )

    async def _workers(
        self, prefix: str, reports: list[tuple[bytes, float]], now: datetime
    ) -> tuple[WorkerHeartbeat, ...]:
        keys = [key for key, _ in reports]
        infos = await self._redis.mget(keys) if keys else []
        workers = []
        for (key, score), raw in zip(reports, infos, strict=True):
            expires_at = _at(score)
            stats: dict[str, Any] = (json.loads(raw).get("stats") or {}) if raw else {}
            workers.append(
                WorkerHeartbeat(
                    worker_id=key.decode().removeprefix(f"{prefix}:worker_info:"),
                    alive=raw is not None and expires_at > now,
                    last_seen=expires_at - WORKER_INFO_TTL,
                    expires_at=expires_at,
                    uptime_seconds=stats["uptime"] / 1000 if "uptime" in stats else None,
                    completed=int(stats.get("complete", 0)),
                    failed=int(stats.get("failed", 0)),
                    retried=int(stats.get("retried", 0)),
                    aborted=int(stats.get("aborted", 0)),
                )
            )
        return tuple(sorted(workers, key=lambda worker: worker.last_seen, reverse=True))
