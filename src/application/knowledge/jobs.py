"""Operator views of ingestion: list jobs, retry one, reindex a collection."""

from __future__ import annotations

from uuid import UUID

from application.knowledge.collections import CollectionGate
from application.knowledge.documents import IngestionScheduler
from application.knowledge.outbox import RelayOutbox
from application.knowledge.ports import DocumentRepository, IngestionJob, IngestionJobRepository, JobStatus
from application.shared.ports import Clock, UnitOfWork
from domain.identity.principal import Principal
from domain.knowledge.models import DocumentStatus
from domain.shared.errors import NotFoundError, PermissionDeniedError


def _require_admin(principal: Principal) -> None:
    if not principal.acts_as_admin:
        raise PermissionDeniedError("Only admins can manage ingestion jobs.")


class ListJobs:
    """The most recent ingestion jobs, optionally by status (``lore jobs list``).

    An admin with full rights (the CLI's operator); raises PermissionDeniedError for anyone else.
    """

    def __init__(self, jobs: IngestionJobRepository) -> None:
        self._jobs = jobs

    async def execute(self, principal: Principal, status: JobStatus | None, limit: int = 100) -> list[IngestionJob]:
        _require_admin(principal)
        return await self._jobs.list(status, limit)


class RetryJob:
    """Puts an ingestion job and its document back in the queue (``lore jobs retry``).

    An admin with full rights (the CLI's operator); raises PermissionDeniedError for anyone else and
    NotFoundError for an unknown job.
    """

    def __init__(
        self,
        jobs: IngestionJobRepository,
        documents: DocumentRepository,
        scheduler: IngestionScheduler,
        relay: RelayOutbox,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._jobs = jobs
        self._documents = documents
        self._scheduler = scheduler
        self._relay = relay
        self._uow = uow
        self._clock = clock

    async def execute(self, principal: Principal, job_id: UUID) -> IngestionJob:
        _require_admin(principal)
        job = await self._jobs.get(job_id)
        document = None if job is None else await self._documents.get(job.document_id)
        if job is None or document is None:
            raise NotFoundError("No such job.")
        await self._documents.save(document.with_changes(status=DocumentStatus.PENDING, updated_at=self._clock.now()))
        fresh = await self._scheduler.schedule(document.id)
        await self._uow.commit()
        await self._relay.try_now()
        return fresh


class Reindex:
    """Re-ingest every document of a collection, e.g. after enabling or changing embeddings; returns how many were
    queued.

    The collection's owner (or an admin) with ``collections:manage``; raises CollectionNotFoundError (404, not
    visible) and PermissionDeniedError (403).
    """

    def __init__(
        self,
        gate: CollectionGate,
        documents: DocumentRepository,
        scheduler: IngestionScheduler,
        relay: RelayOutbox,
        uow: UnitOfWork,
    ) -> None:
        self._gate = gate
        self._documents = documents
        self._scheduler = scheduler
        self._relay = relay
        self._uow = uow

    async def execute(self, principal: Principal, collection_id: UUID) -> int:
        _, access = await self._gate.open(principal, collection_id)
        access.require_manage()
        document_ids = await self._documents.ids_in_collection(collection_id)
        for document_id in document_ids:
            await self._scheduler.schedule(document_id)
        await self._uow.commit()
        await self._relay.try_now()
        return len(document_ids)
