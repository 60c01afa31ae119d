"""Keeps a claimed ingestion job's lease alive while its run works, so only a silent worker loses it.

Without renewals a run that took longer than the lease (a big PDF, a slow embeddings server, a loaded
machine) was sent again by the relay and claimed by another run, which superseded it; if every run took
that long, the job never finished.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from uuid import UUID

from application.knowledge.ports import IngestionLeases
from application.shared.ports import Clock

logger = logging.getLogger(__name__)

RENEWALS_PER_LEASE = 3  # two renewals in a row may fail before the lease lapses


@asynccontextmanager
async def lease_kept(
    leases: IngestionLeases, clock: Clock, job_id: UUID, attempt: int, lease_seconds: float
) -> AsyncIterator[None]:
    """Renew run ``attempt``'s lease every third of ``lease_seconds`` until the block ends."""
    stop = asyncio.Event()
    renewing = asyncio.create_task(_renew(leases, clock, job_id, attempt, lease_seconds, stop))
    try:
        yield
    finally:
        stop.set()
        await renewing  # a renewal in flight ends before the run takes its lock to write the outcome


async def _renew(
    leases: IngestionLeases, clock: Clock, job_id: UUID, attempt: int, lease_seconds: float, stop: asyncio.Event
) -> None:
    failing = False
    while True:
        try:
            await asyncio.wait_for(stop.wait(), lease_seconds / RENEWALS_PER_LEASE)
            return
        except TimeoutError:
            pass
        now = clock.now()
        try:
            if not await leases.renew(job_id, attempt, now, now + timedelta(seconds=lease_seconds)):
                return  # lapsed or claimed by a newer run: the run's hold() tells it so
            failing = False
        except Exception:
            if not failing:  # once per outage, not once per renewal
                logger.warning("could not renew an ingestion lease", exc_info=True, extra={"job_id": str(job_id)})
                failing = True
