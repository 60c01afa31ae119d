"""Background-job metrics: lifecycle counters and durations per task, queue gauges from the last reading."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from adapters.metrics.registry import counter, gauge, histogram

_enqueued = counter("lore.jobs.enqueued", "{job}", "Jobs put on the queue, per task.")
_started = counter("lore.jobs.started", "{job}", "Job runs started by a worker, per task.")
_succeeded = counter("lore.jobs.succeeded", "{job}", "Job runs that completed, per task.")
_failed = counter("lore.jobs.failed", "{job}", "Job runs that failed for good (or were aborted), per task.")
_retried = counter("lore.jobs.retried", "{job}", "Job runs that failed and were queued again, per task.")
_duration = histogram("lore.jobs.duration", "s", "Duration of job runs, per task and outcome.")


def job_enqueued(task: str) -> None:
    _enqueued.add(1, {"lore.task": task})


def job_started(task: str) -> None:
    _started.add(1, {"lore.task": task})


def job_finished(task: str, outcome: str, duration_seconds: float) -> None:
    """``outcome``: succeeded, failed or retried."""
    attributes = {"lore.task": task}
    {"succeeded": _succeeded, "failed": _failed, "retried": _retried}[outcome].add(1, attributes)
    _duration.record(duration_seconds, {"lore.task": task, "lore.job.outcome": outcome})


@dataclass(frozen=True, slots=True)
class TaskBacklog:
    depth: int
    oldest_age_seconds: float


@dataclass(slots=True)
class QueueReading:
    """The last reading of the waiting jobs, per queue and task; the gauges report it as it stands."""

    backlogs: dict[tuple[str, str], TaskBacklog] = field(default_factory=dict)
    queues: set[str] = field(default_factory=set)

    def replace(self, queue: str, backlogs: dict[str, TaskBacklog]) -> None:
        self.queues.add(queue)
        for key in [key for key in self.backlogs if key[0] == queue]:
            del self.backlogs[key]
        self.backlogs.update({(queue, task): backlog for task, backlog in backlogs.items()})

    def depths(self) -> Iterable[tuple[float, dict[str, str]]]:
        yield from self._per_queue(lambda backlog: backlog.depth, 0)

    def oldest_ages(self) -> Iterable[tuple[float, dict[str, str]]]:
        yield from self._per_queue(lambda backlog: backlog.oldest_age_seconds, 0.0)

    def _per_queue(self, read: Callable[[TaskBacklog], float], empty: float) -> Iterable[tuple[float, dict[str, str]]]:
        for (queue, task), backlog in self.backlogs.items():
            yield read(backlog), {"lore.queue": queue, "lore.task": task}
        for queue in self.queues - {queue for queue, _ in self.backlogs}:
            yield empty, {"lore.queue": queue}  # an empty queue reads 0, not "no data"


READING = QueueReading()
gauge("lore.jobs.queue.depth", "{job}", "Jobs waiting on the queue, per task.", READING.depths)
gauge("lore.jobs.queue.oldest_age", "s", "Age of the oldest waiting job, per task.", READING.oldest_ages)
