"""Scripted in-memory chat models for use-case tests."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Sequence

from application.assistant.ports import Completion, ProviderError, StreamDelta, StreamDone, StreamEvent
from domain.assistant.models import ChatTurn, Usage

OK = "ok"
MID_STREAM_FAILURE = "mid"


class ScriptedChatModel:
    """Each call takes the next step: "ok", "mid" (stream breaks after a token) or a ProviderError."""

    def __init__(self, provider: str, steps: Sequence[str | ProviderError] = (), answer: str = "Hello [1]") -> None:
        self._provider = provider
        self.steps: deque[str | ProviderError] = deque(steps)
        self.answer = answer
        self.calls: list[Sequence[ChatTurn]] = []

    @property
    def provider(self) -> str:
        return self._provider

    @property
    def metered(self) -> bool:
        return True

    @property
    def model(self) -> str:
        return f"{self._provider}-model"

    def _next(self) -> str | ProviderError:
        return self.steps.popleft() if self.steps else OK

    async def complete(self, turns: Sequence[ChatTurn], max_tokens: int) -> Completion:
        self.calls.append(turns)
        step = self._next()
        if isinstance(step, ProviderError):
            raise step
        return Completion(self.answer, Usage(10, 5), self.provider, self.model)

    async def stream(self, turns: Sequence[ChatTurn], max_tokens: int) -> AsyncIterator[StreamEvent]:
        self.calls.append(turns)
        step = self._next()
        if isinstance(step, ProviderError):
            raise step
        words = self.answer.split(" ")
        for index, word in enumerate(words):
            yield StreamDelta(word if index == 0 else f" {word}")
            if step == MID_STREAM_FAILURE:
                raise ProviderError(self.provider, "connection dropped", retryable=True)
        yield StreamDone(Usage(10, 5), self.provider, self.model)


def transient(provider: str, retry_after: float | None = None) -> ProviderError:
    return ProviderError(provider, "503", retryable=True, retry_after=retry_after)


def fatal(provider: str) -> ProviderError:
    return ProviderError(provider, "401 bad key", retryable=False)


class RecordingSleeper:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


class RecordingResilienceMetrics:
    """The retries and failovers the retry layer reported, by provider."""

    def __init__(self) -> None:
        self.retries: list[str] = []
        self.failovers: list[str] = []

    def retried(self, provider: str) -> None:
        self.retries.append(provider)

    def failed_over(self, provider: str) -> None:
        self.failovers.append(provider)
