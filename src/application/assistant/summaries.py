"""Document summaries as background tasks: request (202 + id), run in the worker, poll the result.

A summary task is polled at ``/jobs/{id}`` (a public URL kept for compatibility); in code "job" means an
ingestion job (``lore jobs``) and "task" the summary task, so the two never share a name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from application.assistant.policy import AssistantPolicy
from application.assistant.ports import ChatModel, Completion, QuotaLedger
from application.identity.ports import UserRepository
from application.knowledge.documents import DocumentGate
from application.knowledge.ports import ChunkRepository
from application.shared.event_stream import EventEmitter
from application.shared.ports import Clock, IdGenerator, PageRequest, UnitOfWork
from domain.assistant.errors import QuotaExceededError
from domain.assistant.models import ChatTurn
from domain.assistant.prompt import build_summary_prompt
from domain.assistant.quota import daily_period
from domain.identity.principal import Principal
from domain.identity.roles import Permission
from domain.knowledge.errors import DocumentNotReadyError
from domain.knowledge.models import Chunk, DocumentStatus
from domain.knowledge.text import count_tokens
from domain.shared.errors import DependencyUnavailableError, NotFoundError
from domain.shared.events import Audience, EventType

MAX_SOURCE_TOKENS = 6000


class SummaryTaskStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SummaryTask:
    id: UUID
    user_id: UUID
    kind: str
    subject_id: UUID
    status: SummaryTaskStatus
    created_at: datetime
    updated_at: datetime
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class SummaryTaskRepository(Protocol):
    async def add(self, task: SummaryTask) -> None: ...

    async def get(self, task_id: UUID) -> SummaryTask | None: ...

    async def update(self, task: SummaryTask) -> None: ...


class SummaryTaskQueue(Protocol):
    async def enqueue_summary(self, task_id: UUID) -> None: ...


class RequestSummary:
    """Queues a summary of a document and returns its task (202 and ``/jobs/{id}`` over HTTP).

    A principal with ``assistant:use`` who can read the document; raises PermissionDeniedError, NotFoundError (a
    document missing or not visible), DocumentNotReadyError (409, not ingested yet) and
    DependencyUnavailableError (503, the queue is down: the task is stored as failed).
    """

    def __init__(
        self,
        gate: DocumentGate,
        tasks: SummaryTaskRepository,
        queue: SummaryTaskQueue,
        uow: UnitOfWork,
        ids: IdGenerator,
        clock: Clock,
    ) -> None:
        self._gate = gate
        self._tasks = tasks
        self._queue = queue
        self._uow = uow
        self._ids = ids
        self._clock = clock

    async def execute(self, principal: Principal, document_id: UUID) -> SummaryTask:
        principal.require(Permission.ASSISTANT_USE)
        document, _ = await self._gate.open(principal, document_id)
        if document.status is not DocumentStatus.READY:
            raise DocumentNotReadyError()
        now = self._clock.now()
        task = SummaryTask(
            self._ids.new_id(), principal.user_id, "summarize", document.id, SummaryTaskStatus.QUEUED, now, now
        )
        await self._tasks.add(task)
        await self._uow.commit()
        try:
            await self._queue.enqueue_summary(task.id)
        except Exception as exc:
            task = _changed(
                task, self._clock.now(), status=SummaryTaskStatus.FAILED, error="the job queue is unavailable"
            )
            await self._tasks.update(task)
            await self._uow.commit()
            raise DependencyUnavailableError(
                "The job queue is unavailable; try again shortly.", details={"dependency": "queue"}
            ) from exc
        return task


class GetSummaryTask:
    """One of the caller's summary tasks, with its result once done.

    The principal who requested it, with ``assistant:use`` and ``documents:read``; raises PermissionDeniedError,
    and NotFoundError for a task that is missing or someone else's.
    """

    def __init__(self, tasks: SummaryTaskRepository) -> None:
        self._tasks = tasks

    async def execute(self, principal: Principal, task_id: UUID) -> SummaryTask:
        # a job's result is assistant output about documents, as it was requested
        principal.require(Permission.ASSISTANT_USE)
        principal.require(Permission.DOCUMENTS_READ)
        task = await self._tasks.get(task_id)
        if task is None or task.user_id != principal.user_id:
            raise NotFoundError("No such job.")
        return task


class RunSummary:
    """Worker side: runs a queued summary task and records its result or failure on the task.

    Called by the worker only. Access was checked when the task was requested; the document may have gone since,
    and the requester may have lost access or been deactivated, so both are checked again and any failure
    (including quota and provider errors) is stored on the task rather than raised. Returns None for an unknown
    task; a finished task is returned as it is.
    """

    def __init__(
        self,
        tasks: SummaryTaskRepository,
        users: UserRepository,
        gate: DocumentGate,
        chunks: ChunkRepository,
        chat: ChatModel,
        quota: QuotaLedger,
        uow: UnitOfWork,
        clock: Clock,
        policy: AssistantPolicy,
        events: EventEmitter,
    ) -> None:
        self._events = events
        self._tasks = tasks
        self._users = users
        self._gate = gate
        self._chunks = chunks
        self._chat = chat
        self._quota = quota
        self._uow = uow
        self._clock = clock
        self._policy = policy

    async def execute(self, task_id: UUID) -> SummaryTask | None:
        task = await self._tasks.get(task_id)
        if task is None or task.status in (SummaryTaskStatus.DONE, SummaryTaskStatus.FAILED):
            return task
        task = _changed(task, self._clock.now(), status=SummaryTaskStatus.RUNNING)
        await self._tasks.update(task)
        await self._uow.commit()
        try:
            user = await self._users.get(task.user_id)
            if user is None or not user.is_active:
                raise NotFoundError("The requester's account is no longer active.")
            # the requester's live rights: the document must still be readable by them
            document, _ = await self._gate.open(Principal(user.id, user.role), task.subject_id)
            text = await self._source_text(document.id)
            turns = build_summary_prompt(document.title, text)
            completion = await self._complete(task.user_id, turns)
        except Exception as exc:  # noqa: BLE001 - any failure is reported on the job, not lost in logs
            message = getattr(exc, "message", None) or type(exc).__name__
            task = _changed(task, self._clock.now(), status=SummaryTaskStatus.FAILED, error=str(message))
        else:
            result = {
                "summary": completion.text,
                "provider": completion.provider,
                "model": completion.model,
                "usage": {
                    "input_tokens": completion.usage.input_tokens,
                    "output_tokens": completion.usage.output_tokens,
                },
            }
            task = _changed(task, self._clock.now(), status=SummaryTaskStatus.DONE, result=result)
        await self._tasks.update(task)
        await _emit_outcome(self._events, task)
        await self._uow.commit()
        await self._events.hand_on()
        return task

    async def _complete(self, user_id: UUID, turns: list[ChatTurn]) -> Completion:
        if not self._chat.metered:  # the offline model spends no tokens: nothing to reserve or charge
            return await self._chat.complete(turns, self._policy.max_output_tokens)
        period = daily_period(self._clock.now())
        reserved = count_tokens(turns[-1].content) + self._policy.max_output_tokens
        limit = self._policy.daily_token_quota
        if not await self._quota.reserve(user_id, period.key, reserved, limit, period.resets_at):
            raise QuotaExceededError(period.resets_at, self._clock.now(), limit)
        try:
            completion = await self._chat.complete(turns, self._policy.max_output_tokens)
        except BaseException:
            await self._quota.adjust(user_id, period.key, -reserved, period.resets_at)
            raise
        await self._quota.adjust(user_id, period.key, completion.usage.total - reserved, period.resets_at)
        return completion

    async def _source_text(self, document_id: UUID) -> str:
        page = await self._chunks.list(document_id, PageRequest(limit=100, offset=0, sort="ordinal"))
        return stitch_chunks(page.items, MAX_SOURCE_TOKENS)


def stitch_chunks(chunks: Sequence[Chunk], budget_tokens: int) -> str:
    """The document's text as its chunks (in order) hold it, without the overlap between neighbours,
    cut at the last chunk that fits the budget."""
    parts: list[str] = []
    covered = 0  # offset in the extracted text up to which parts already reach
    for chunk in chunks:
        fresh = chunk.text[max(0, covered - chunk.start) :]
        if parts and chunk.start > covered:
            fresh = " " + fresh  # the whitespace between two chunks belongs to neither
        cost = count_tokens(fresh)
        if cost > budget_tokens:
            break
        parts.append(fresh)
        budget_tokens -= cost
        covered = max(covered, chunk.end)
    return "".join(parts)


async def _emit_outcome(events: EventEmitter, task: SummaryTask) -> None:
    """job.completed / job.failed, for the requester alone: the summary itself stays behind ``/jobs/{id}``."""
    done = task.status is SummaryTaskStatus.DONE
    data: dict[str, object] = {"kind": task.kind, "status": task.status.value}
    if not done:
        data["error"] = task.error
    await events.emit(
        EventType.JOB_COMPLETED if done else EventType.JOB_FAILED,
        subject={"job_id": task.id, "document_id": task.subject_id},
        data=data,
        audience=Audience(user_ids=frozenset({task.user_id})),
    )


def _changed(task: SummaryTask, now: datetime, **changes: Any) -> SummaryTask:
    return replace(task, updated_at=now, **changes)
