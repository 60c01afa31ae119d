"""In-memory fakes of the assistant's stores: answer cache, quota ledger, corpus versions, summary tasks."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.assistant.ports import CachedAnswer
from application.assistant.summaries import SummaryTask
from application.knowledge.ports import SearchScope


class InMemoryAnswerCache:
    def __init__(self) -> None:
        self.answers: dict[str, CachedAnswer] = {}

    async def get(self, key: str) -> CachedAnswer | None:
        return self.answers.get(key)

    async def put(self, key: str, answer: CachedAnswer, ttl_seconds: int) -> None:
        self.answers[key] = answer


class InMemoryQuotaLedger:
    def __init__(self) -> None:
        self.totals: dict[tuple[UUID, str], int] = {}
        self.operations: list[str] = []

    async def used(self, user_id: UUID, period: str) -> int:
        return self.totals.get((user_id, period), 0)

    async def reserve(self, user_id: UUID, period: str, tokens: int, limit: int, expires_at: datetime) -> bool:
        self.operations.append("reserve")
        current = self.totals.get((user_id, period), 0)
        if current + tokens > limit:
            return False
        self.totals[(user_id, period)] = current + tokens
        return True

    async def adjust(self, user_id: UUID, period: str, delta: int, expires_at: datetime) -> int:
        self.operations.append("adjust")
        self.totals[(user_id, period)] = self.totals.get((user_id, period), 0) + delta
        return self.totals[(user_id, period)]


class FixedCorpusVersions:
    async def fingerprint(self, scope: SearchScope) -> str:
        return "v1"


class MovableCorpusVersions:
    """The corpus fingerprint as a test sets it: a new ``version`` stands for an edited document."""

    def __init__(self) -> None:
        self.version = "v1"

    async def fingerprint(self, scope: SearchScope) -> str:
        return self.version


class UnreachableAnswerCache:
    """The answer cache while Redis is down, as the adapter's contract has it: it fails open, so every
    lookup misses and nothing is stored."""

    async def get(self, key: str) -> CachedAnswer | None:
        return None

    async def put(self, key: str, answer: CachedAnswer, ttl_seconds: int) -> None:
        return None


class InMemoryTasks:
    def __init__(self) -> None:
        self.rows: dict[UUID, SummaryTask] = {}

    async def add(self, task: SummaryTask) -> None:
        self.rows[task.id] = task

    async def get(self, task_id: UUID) -> SummaryTask | None:
        return self.rows.get(task_id)

    async def update(self, task: SummaryTask) -> None:
        self.rows[task.id] = task


class RecordingTaskQueue:
    """Keeps the summary jobs it was given; while ``down`` it fails like an unreachable Redis."""

    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.enqueued: list[UUID] = []

    async def enqueue_summary(self, task_id: UUID) -> None:
        if self.down:
            raise ConnectionError("redis is not answering")
        self.enqueued.append(task_id)
