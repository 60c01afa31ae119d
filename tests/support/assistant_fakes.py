"""In-memory fakes of the assistant's stores: answer cache, quota ledger, corpus versions."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.assistant.ports import CachedAnswer
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
