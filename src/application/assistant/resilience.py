"""One retry layer for chat providers: backoff with jitter (honouring Retry-After), a circuit breaker per
provider, and failover to the next provider in priority order — for streams only before the first token."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from application.assistant.ports import (
    ChatModel,
    Completion,
    Jitter,
    NoResilienceMetrics,
    ProviderError,
    ResilienceMetrics,
    Sleeper,
    StreamEvent,
)
from application.shared.resilience import CircuitBreaker
from domain.assistant.errors import AllProvidersFailedError
from domain.assistant.models import ChatTurn

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int, retry_after: float | None, jitter: float) -> float:
        """Full jitter on an exponential curve; a server's Retry-After wins when it is longer."""
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * jitter
        return float(min(max(backoff, retry_after or 0.0), self.max_delay * 4))


class ResilientChatModel:
    """A ChatModel over several providers; callers see one model and only AllProvidersFailedError."""

    def __init__(
        self,
        providers: Sequence[ChatModel],
        breakers: Sequence[CircuitBreaker],
        policy: RetryPolicy,
        sleeper: Sleeper,
        jitter: Jitter,
        metrics: ResilienceMetrics | None = None,
    ) -> None:
        if not providers or len(providers) != len(breakers):
            raise ValueError("need at least one provider and one breaker per provider")
        self._providers = list(zip(providers, breakers, strict=True))
        self._policy = policy
        self._sleeper = sleeper
        self._jitter = jitter
        self._metrics = metrics or NoResilienceMetrics()

    @property
    def provider(self) -> str:
        return self._providers[0][0].provider

    @property
    def metered(self) -> bool:
        return True

    @property
    def model(self) -> str:
        return "|".join(f"{p.provider}:{p.model}" for p, _ in self._providers)

    async def complete(self, turns: Sequence[ChatTurn], max_tokens: int) -> Completion:
        # drained to the end so that the breaker hears of the success
        (completion,) = [c async for c in self._failover(lambda provider: _once(provider.complete(turns, max_tokens)))]
        return completion

    def stream(self, turns: Sequence[ChatTurn], max_tokens: int) -> AsyncIterator[StreamEvent]:
        return self._failover(lambda provider: provider.stream(turns, max_tokens))

    async def _failover(self, call: Callable[[ChatModel], AsyncIterator[T]]) -> AsyncIterator[T]:
        """The one retry loop: each provider in order, retried with backoff while its errors are retryable
        and its breaker allows; once a result has been passed on there is no switch to another provider."""
        errors: list[str] = []
        for index, (provider, breaker) in enumerate(self._providers):
            for attempt in range(1, self._policy.attempts + 1):
                if not breaker.allow():
                    errors.append(f"{provider.provider}: circuit open")
                    break
                started = False
                try:
                    async for item in call(provider):
                        started = True
                        yield item
                except ProviderError as exc:
                    breaker.failed()
                    if started:
                        raise  # the client has tokens already: no silent switch to another answer
                    errors.append(str(exc))
                    if not exc.retryable or attempt == self._policy.attempts:
                        break
                    await self._sleeper.sleep(self._policy.delay(attempt, exc.retry_after, self._jitter()))
                    self._metrics.retried(provider.provider)
                    continue
                breaker.succeeded()
                return
            logger.warning("chat provider failed over", extra={"provider": provider.provider})
            if index + 1 < len(self._providers):
                self._metrics.failed_over(provider.provider)
        raise AllProvidersFailedError(details={"attempts": errors})


async def _once(result: Awaitable[T]) -> AsyncIterator[T]:
    yield await result
