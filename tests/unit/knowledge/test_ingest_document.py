"""IngestDocument with fakes: a claimed job ends ready, retried or failed, and stale runs change nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from uuid import UUID

from application.knowledge.documents import content_hash
from application.knowledge.ingest import IngestOutcome, IngestResult
from application.knowledge.ports import IngestionJob, JobStatus
from domain.knowledge.models import CollectionRole, Document, DocumentStatus
from tests.support.knowledge_fakes import FakeEmbedder
from tests.unit.knowledge_world import KnowledgeWorld, member

TEXT = " ".join(f"word{n}" for n in range(20))  # 20 tokens: three chunks of at most 8, overlapping by 2


async def _added(world: KnowledgeWorld, text: str = TEXT) -> tuple[Document, IngestionJob]:
    editor = member()
    document = await world.add_text(editor, world.collection((editor, CollectionRole.EDITOR)), text)
    (job,) = (j for j in world.tables.durable()["jobs"].values() if j.document_id == document.id)
    return document, job


def _stored(world: KnowledgeWorld, document_id: UUID, job_id: UUID) -> tuple[Document, IngestionJob]:
    durable = world.tables.durable()
    return durable["documents"][document_id], durable["jobs"][job_id]


async def test_a_job_ends_with_the_chunks_indexed_the_document_ready_and_the_job_done() -> None:
    world = KnowledgeWorld()
    document, job = await _added(world)
    assert await world.ingest.execute(job.id) == IngestResult(IngestOutcome.READY, 3)

    stored, finished = _stored(world, document.id, job.id)
    assert (stored.status, stored.chunk_count, stored.error_stage) == (DocumentStatus.READY, 3, None)
    assert finished.status is JobStatus.DONE
    chunks = world.tables.durable()["chunks"][document.id]
    assert [c.ordinal for c in chunks] == [0, 1, 2]
    assert chunks[0].text.startswith("word0 ")
    assert chunks[-1].text.endswith("word19")
    assert world.tables.durable()["chunk_models"][document.id] == "fake-embed"
    assert world.embedder.calls == 2  # three chunks in batches of two
    assert world.metrics.passed == [("extract", 0), ("chunk", 3), ("embed", 3), ("index", 3)]
    assert world.metrics.failed == []


async def test_without_an_embeddings_provider_the_chunks_are_kept_for_keyword_search() -> None:
    world = KnowledgeWorld(embedder=FakeEmbedder(enabled=False))
    document, job = await _added(world)
    assert (await world.ingest.execute(job.id)).outcome is IngestOutcome.READY
    assert world.tables.durable()["chunk_models"][document.id] is None
    assert world.embedder.calls == 0
    assert [stage for stage, _ in world.metrics.passed] == ["extract", "chunk", "index"]  # nothing embedded


async def test_an_unreadable_source_fails_at_once_and_says_where() -> None:
    world = KnowledgeWorld()
    document, job = await _added(world, "BROKEN bytes")
    assert (await world.ingest.execute(job.id)).outcome is IngestOutcome.FAILED
    stored, failed = _stored(world, document.id, job.id)
    assert (stored.status, stored.error_stage) == (DocumentStatus.FAILED, "extract")
    assert stored.error_message == "The file is not UTF-8 text."
    assert (failed.status, failed.last_error) == (JobStatus.FAILED, "extract: The file is not UTF-8 text.")
    assert document.id not in world.tables.durable()["chunks"]
    assert (world.metrics.passed, world.metrics.failed) == ([], ["extract"])


async def test_a_source_with_no_text_is_a_permanent_failure_not_an_empty_ready_document() -> None:
    world = KnowledgeWorld()
    document, job = await _added(world, " \n\t ")
    assert (await world.ingest.execute(job.id)).outcome is IngestOutcome.FAILED
    assert _stored(world, document.id, job.id)[0].error_message == "The document has no extractable text."


async def test_an_embeddings_outage_is_retried_with_backoff_until_the_attempts_run_out() -> None:
    world = KnowledgeWorld(embedder=FakeEmbedder(down=True))
    document, job = await _added(world)

    assert (await world.ingest.execute(job.id)).outcome is IngestOutcome.RETRY
    stored, waiting = _stored(world, document.id, job.id)
    assert (stored.status, stored.error_stage) == (DocumentStatus.PENDING, "embed")
    assert waiting.status is JobStatus.PENDING
    assert waiting.available_at == world.clock.now() + timedelta(seconds=world.policy.retry_base_seconds)
    assert document.id not in world.tables.durable()["chunks"]

    assert (await world.ingest.execute(job.id)).outcome is IngestOutcome.RETRY
    second = _stored(world, document.id, job.id)[1]
    assert second.available_at == world.clock.now() + timedelta(seconds=2 * world.policy.retry_base_seconds)

    assert (await world.ingest.execute(job.id)).outcome is IngestOutcome.FAILED  # max_attempts = 3
    stored, failed = _stored(world, document.id, job.id)
    assert (stored.status, failed.status, failed.attempts) == (DocumentStatus.FAILED, JobStatus.FAILED, 3)
    assert world.metrics.failed == ["embed", "embed", "embed"]  # every failed run, retried or final


async def test_a_crash_in_the_extractor_is_retried_rather_than_failing_the_document() -> None:
    world = KnowledgeWorld()
    document, job = await _added(world, "CRASH")
    assert (await world.ingest.execute(job.id)).outcome is IngestOutcome.RETRY
    assert _stored(world, document.id, job.id)[0].error_message == "reader crashed"


async def test_a_finished_job_and_a_job_of_a_deleted_document_are_skipped() -> None:
    world = KnowledgeWorld()
    _document, job = await _added(world)
    await world.ingest.execute(job.id)
    assert (await world.ingest.execute(job.id)).outcome is IngestOutcome.SKIPPED

    other, other_job = await _added(world, "another text entirely")
    del world.tables.documents[other.id]  # deleted between the upload and the run (its job row kept)
    world.tables.checkpoint()
    assert (await world.ingest.execute(other_job.id)).outcome is IngestOutcome.SKIPPED
    assert world.tables.durable()["jobs"][other_job.id].status is JobStatus.DONE


class _DuringEmbed(FakeEmbedder):
    """Runs ``meanwhile`` while the batch is being embedded: what another request or worker does then."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile: Callable[[], Awaitable[None]] | None = None

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if self.meanwhile is not None:
            action, self.meanwhile = self.meanwhile, None
            await action()
        return await super().embed(texts)


async def test_a_document_changed_while_it_was_processed_keeps_the_newer_version() -> None:
    embedder = _DuringEmbed()
    world = KnowledgeWorld(embedder=embedder)
    document, job = await _added(world)

    async def new_version() -> None:
        current = world.tables.documents[document.id]
        world.tables.documents[document.id] = current.with_changes(content_hash=content_hash(b"v2"))
        await world.tables.commit()

    embedder.meanwhile = new_version
    assert (await world.ingest.execute(job.id)).outcome is IngestOutcome.SKIPPED
    assert document.id not in world.tables.durable()["chunks"]  # the old text's chunks were not written


async def test_a_run_that_outlived_its_lease_leaves_the_outcome_to_the_newer_run() -> None:
    embedder = _DuringEmbed()
    world = KnowledgeWorld(embedder=embedder)
    document, job = await _added(world)

    async def lease_runs_out_and_another_worker_claims() -> None:
        world.later(world.policy.lease_seconds + 1)
        now = world.clock.now()
        assert await world.jobs.claim(job.id, now, now + timedelta(seconds=60)) is not None
        await world.tables.commit()

    embedder.meanwhile = lease_runs_out_and_another_worker_claims
    assert (await world.ingest.execute(job.id)).outcome is IngestOutcome.SKIPPED
    stored, running = _stored(world, document.id, job.id)
    assert (stored.status, running.status, running.attempts) == (DocumentStatus.PROCESSING, JobStatus.RUNNING, 2)
    assert document.id not in world.tables.durable()["chunks"]
