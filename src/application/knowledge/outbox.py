"""The relay half of the transactional outbox: committed jobs go to the queue, at least once."""

from __future__ import annotations

import logging
from datetime import timedelta

from application.knowledge.policy import KnowledgePolicy
from application.knowledge.ports import IngestionJobRepository, JobQueue
from application.shared.ports import Clock, UnitOfWork
from domain.shared.errors import DependencyUnavailableError

logger = logging.getLogger(__name__)


class RelayOutbox:
    """Sends due ingestion jobs from the database (the outbox) to the queue.

    Called by the API right after a commit (``try_now``, which never raises) and by the worker's schedule
    (``execute``, which raises when the queue is unreachable; the jobs stay due, so nothing is lost).
    """

    def __init__(
        self, jobs: IngestionJobRepository, queue: JobQueue, uow: UnitOfWork, clock: Clock, policy: KnowledgePolicy
    ) -> None:
        self._jobs = jobs
        self._queue = queue
        self._uow = uow
        self._clock = clock
        self._policy = policy

    async def execute(self) -> int:
        """Enqueue due jobs; raises when the queue is unreachable (nothing is lost: they stay due)."""
        now = self._clock.now()
        due = await self._jobs.due(now, self._policy.relay_batch_size)
        sent = []
        try:
            for job in due:
                # the job id is the queue key, so a job enqueued twice still runs once at a time
                await self._queue.enqueue_ingestion(job.id, job.trace_context)
                sent.append(job.id)
        finally:
            if sent:
                await self._jobs.mark_enqueued(sent, now)
            await self._uow.commit()
        return len(sent)

    async def try_now(self) -> None:
        """Best effort right after a commit; the worker's periodic relay catches whatever this misses."""
        try:
            await self.execute()
        except DependencyUnavailableError as exc:  # an outage is expected here: one line, no traceback
            logger.warning("could not relay ingestion jobs now; the worker will retry", extra=exc.details)
            await self._uow.rollback()
        except Exception:
            logger.warning("could not relay ingestion jobs now; the worker will retry", exc_info=True)
            await self._uow.rollback()


def retry_delay(policy: KnowledgePolicy, attempts: int) -> timedelta:
    """Exponential backoff: base, 2x base, 4x base, ... capped at one hour."""
    return timedelta(seconds=min(policy.retry_base_seconds * 2 ** max(attempts - 1, 0), 3600.0))
