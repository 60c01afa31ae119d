"""Ports the assistant needs: chat models, the answer cache, the quota ledger, corpus versions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.knowledge.ports import SearchScope
from application.shared.ports import Page, PageRequest
from domain.assistant.models import ChatTurn, Conversation, StoredMessage, Usage


class ProviderError(Exception):
    """A chat provider failed. ``retryable`` failures may succeed if tried again (429, 5xx, timeouts)."""

    def __init__(self, provider: str, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    usage: Usage
    provider: str
    model: str


@dataclass(frozen=True, slots=True)
class StreamDelta:
    text: str


@dataclass(frozen=True, slots=True)
class StreamDone:
    usage: Usage
    provider: str
    model: str


StreamEvent = StreamDelta | StreamDone


class ChatModel(Protocol):
    @property
    def provider(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def metered(self) -> bool:
        """False for the offline extractive model: it spends no tokens, so nothing is reserved or charged."""
        ...

    async def complete(self, turns: Sequence[ChatTurn], max_tokens: int) -> Completion: ...

    def stream(self, turns: Sequence[ChatTurn], max_tokens: int) -> AsyncIterator[StreamEvent]:
        """Deltas, then exactly one StreamDone. Raises ProviderError on failure."""
        ...


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    text: str
    usage: Usage
    provider: str
    model: str


class AnswerCache(Protocol):
    async def get(self, key: str) -> CachedAnswer | None: ...

    async def put(self, key: str, answer: CachedAnswer, ttl_seconds: int) -> None: ...


class QuotaLedger(Protocol):
    async def used(self, user_id: UUID, period: str) -> int: ...

    async def reserve(self, user_id: UUID, period: str, tokens: int, limit: int, expires_at: datetime) -> bool:
        """Atomically add ``tokens`` unless that would pass ``limit`` (then add nothing and say False).

        Reserving before the call is what keeps concurrent requests, in any number of API processes,
        from overshooting the quota together.
        """
        ...

    async def adjust(self, user_id: UUID, period: str, delta: int, expires_at: datetime) -> int:
        """Correct a reservation by the difference to the real usage (negative to refund)."""
        ...


class CorpusVersions(Protocol):
    async def fingerprint(self, scope: SearchScope) -> str:
        """Changes whenever a document or membership in the caller's readable corpus changes."""
        ...


class ResilienceMetrics(Protocol):
    """Where the retry layer reports what it did (the metrics adapter counts it)."""

    def retried(self, provider: str) -> None: ...
    def failed_over(self, provider: str) -> None: ...


class NoResilienceMetrics:
    def retried(self, provider: str) -> None:
        return None

    def failed_over(self, provider: str) -> None:
        return None


class Sleeper(Protocol):
    async def sleep(self, seconds: float) -> None: ...


class Jitter(Protocol):
    def __call__(self) -> float:
        """A number in [0, 1)."""
        ...


class ConversationRepository(Protocol):
    async def add(self, conversation: Conversation) -> None: ...

    async def get(self, conversation_id: UUID) -> Conversation | None: ...

    async def touch(self, conversation_id: UUID, at: datetime) -> None: ...

    async def delete(self, conversation_id: UUID) -> None: ...

    async def add_message(self, message: StoredMessage) -> None: ...

    async def messages(self, conversation_id: UUID) -> list[StoredMessage]: ...

    async def list_for_user(self, user_id: UUID, page: PageRequest) -> Page[Conversation]: ...
