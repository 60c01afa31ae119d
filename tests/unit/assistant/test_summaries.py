"""Summaries with fakes: requesting one (202 and a job), running it in the worker, and reading it back."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from application.assistant.policy import AssistantPolicy
from application.assistant.ports import ProviderError
from application.assistant.summaries import (
    GetSummaryTask,
    RequestSummary,
    RunSummary,
    SummaryTaskStatus,
)
from domain.identity.models import User
from domain.identity.principal import Principal
from domain.identity.roles import Role
from domain.knowledge.errors import DocumentNotReadyError
from domain.knowledge.models import CollectionRole, DocumentStatus
from domain.shared.errors import DependencyUnavailableError, NotFoundError
from tests.support.assistant_fakes import InMemoryQuotaLedger, InMemoryTasks, RecordingTaskQueue
from tests.support.chat_fakes import ScriptedChatModel, fatal
from tests.support.identity_fakes import InMemoryUsers
from tests.support.knowledge_fakes import InMemoryChunks
from tests.unit.knowledge_world import KnowledgeWorld

TEXT = "Every employee receives twenty-five vacation days each year. Unused days carry over."


class World:
    def __init__(self, *steps: str | ProviderError, quota: int = 200_000) -> None:
        self.knowledge = KnowledgeWorld()
        self.users = InMemoryUsers()
        self.tasks = InMemoryTasks()
        self.queue = RecordingTaskQueue()
        self.ledger = InMemoryQuotaLedger()
        self.chat = ScriptedChatModel("openai", steps, answer="Twenty-five days, carried over.")
        k = self.knowledge
        self.request = RequestSummary(k.document_gate, self.tasks, self.queue, k.tables, k.ids, k.clock)
        self.run = RunSummary(
            self.tasks,
            self.users,
            k.document_gate,
            InMemoryChunks(k.tables),
            self.chat,
            self.ledger,
            k.tables,
            k.clock,
            AssistantPolicy(daily_token_quota=quota),
            k.events,
        )

    async def reader(self, *, active: bool = True) -> Principal:
        now = datetime(2026, 1, 1, tzinfo=UTC)
        user = User(uuid4(), f"{uuid4().hex}@example.org", "Ann", "hash", Role.MEMBER, active, now, now, now)
        await self.users.add(user)
        return Principal(user.id, user.role)

    async def document(self, reader: Principal, *, ingested: bool = True) -> UUID:
        k = self.knowledge
        document = await k.add_text(reader, k.collection((reader, CollectionRole.EDITOR)), TEXT)
        if ingested:
            (job,) = k.tables.durable()["jobs"].values()
            await k.ingest.execute(job.id)
        return document.id


async def test_a_requested_summary_is_queued_then_run_and_charged_to_the_requester() -> None:
    world = World()
    reader = await world.reader()
    document_id = await world.document(reader)

    task = await world.request.execute(reader, document_id)
    assert (task.status, task.subject_id, task.user_id) == (SummaryTaskStatus.QUEUED, document_id, reader.user_id)
    assert world.queue.enqueued == [task.id]

    done = await world.run.execute(task.id)
    assert done is not None
    assert done.status is SummaryTaskStatus.DONE
    assert done.result["summary"] == "Twenty-five days, carried over."
    assert done.result["usage"] == {"input_tokens": 10, "output_tokens": 5}
    assert "twenty-five vacation days" in world.chat.calls[0][-1].content  # the document's text was sent
    assert sum(world.ledger.totals.values()) == 15
    assert await GetSummaryTask(world.tasks).execute(reader, task.id) == done
    assert await world.run.execute(task.id) == done  # a finished job is not run again
    assert len(world.chat.calls) == 1


async def test_a_document_still_being_ingested_cannot_be_summarised_yet() -> None:
    world = World()
    reader = await world.reader()
    document_id = await world.document(reader, ingested=False)
    assert world.knowledge.tables.durable()["documents"][document_id].status is DocumentStatus.PENDING
    with pytest.raises(DocumentNotReadyError):
        await world.request.execute(reader, document_id)
    assert world.tasks.rows == {}


async def test_with_the_queue_down_the_request_fails_and_the_job_says_so() -> None:
    world = World()
    reader = await world.reader()
    document_id = await world.document(reader)
    world.queue.down = True
    with pytest.raises(DependencyUnavailableError) as refused:
        await world.request.execute(reader, document_id)
    assert refused.value.details == {"dependency": "queue"}
    (task,) = world.tasks.rows.values()
    assert (task.status, task.error) == (SummaryTaskStatus.FAILED, "the job queue is unavailable")


async def test_only_the_requester_sees_the_job_and_only_readers_of_the_document_may_ask() -> None:
    world = World()
    reader, stranger = await world.reader(), await world.reader()
    document_id = await world.document(reader)
    task = await world.request.execute(reader, document_id)
    with pytest.raises(NotFoundError):
        await GetSummaryTask(world.tasks).execute(stranger, task.id)
    with pytest.raises(NotFoundError):
        await world.request.execute(stranger, document_id)


async def test_a_requester_deactivated_or_shut_out_of_the_collection_meanwhile_gets_a_failed_job() -> None:
    world = World()
    reader = await world.reader()
    task = await world.request.execute(reader, await world.document(reader))
    user = world.users.rows[reader.user_id]
    world.users.rows[reader.user_id] = user.with_changes(is_active=False)
    failed = await world.run.execute(task.id)
    assert failed is not None
    assert (failed.status, failed.error) == (SummaryTaskStatus.FAILED, "The requester's account is no longer active.")

    world.users.rows[reader.user_id] = user
    second = await world.request.execute(reader, next(iter(world.knowledge.tables.documents)))
    world.knowledge.tables.members.clear()
    shut_out = await world.run.execute(second.id)
    assert shut_out is not None
    assert (shut_out.status, shut_out.error) == (SummaryTaskStatus.FAILED, "No such document.")
    assert world.chat.calls == []


async def test_over_quota_the_job_fails_without_a_call_and_a_failed_call_is_refunded() -> None:
    over = World(quota=10)
    reader = await over.reader()
    task = await over.request.execute(reader, await over.document(reader))
    failed = await over.run.execute(task.id)
    assert failed is not None
    assert failed.status is SummaryTaskStatus.FAILED
    assert failed.error is not None
    assert "quota" in failed.error.lower()
    assert over.chat.calls == []

    broken = World(fatal("openai"))
    reader = await broken.reader()
    task = await broken.request.execute(reader, await broken.document(reader))
    failed = await broken.run.execute(task.id)
    assert failed is not None
    assert (failed.status, failed.error) == (SummaryTaskStatus.FAILED, "ProviderError")
    assert broken.ledger.operations == ["reserve", "adjust"]
    assert sum(broken.ledger.totals.values()) == 0
