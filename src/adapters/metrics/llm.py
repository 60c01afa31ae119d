"""Model-call metrics (OpenTelemetry GenAI semantic conventions), resilience events, cache and quota."""

from __future__ import annotations

import weakref

from adapters.metrics.registry import TOKEN_BUCKETS, counter, gauge, histogram
from application.shared.resilience import BreakerState, CircuitBreaker

_duration = histogram("gen_ai.client.operation.duration", "s", "Duration of model calls, per provider and model.")
_tokens = histogram(
    "gen_ai.client.token.usage", "{token}", "Tokens per model call, by type (input/output).", TOKEN_BUCKETS
)
_retries = counter("lore.llm.retries", "{call}", "Model calls retried after a retryable error, per provider.")
_failovers = counter("lore.llm.failovers", "{call}", "Switches to the next provider, per provider given up.")
_cache_hits = counter("lore.assistant.answer_cache.hits", "{answer}", "Answers served from the answer cache.")
_cache_misses = counter("lore.assistant.answer_cache.misses", "{answer}", "Answer-cache look-ups that missed.")
_quota_rejections = counter(
    "lore.assistant.quota.rejections", "{request}", "Questions refused because the daily token quota is spent."
)


def _call_attributes(provider: str, model: str) -> dict[str, str]:
    return {"gen_ai.operation.name": "chat", "gen_ai.provider.name": provider, "gen_ai.request.model": model}


def observe_call(provider: str, model: str, duration_seconds: float, error_type: str | None) -> None:
    attributes = _call_attributes(provider, model)
    if error_type:
        attributes["error.type"] = error_type
    _duration.record(duration_seconds, attributes)


def observe_tokens(provider: str, model: str, input_tokens: int, output_tokens: int) -> None:
    attributes = _call_attributes(provider, model)
    _tokens.record(input_tokens, {**attributes, "gen_ai.token.type": "input"})
    _tokens.record(output_tokens, {**attributes, "gen_ai.token.type": "output"})


class OtelResilienceMetrics:
    """The application's ResilienceMetrics port over OpenTelemetry counters."""

    def retried(self, provider: str) -> None:
        _retries.add(1, {"gen_ai.provider.name": provider})

    def failed_over(self, provider: str) -> None:
        _failovers.add(1, {"gen_ai.provider.name": provider})


def answer_cache_looked_up(*, hit: bool) -> None:
    (_cache_hits if hit else _cache_misses).add(1)


def quota_rejected() -> None:
    _quota_rejections.add(1)


BREAKER_VALUES = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}
# the breakers of the live container, by provider (weakly: a closed container's breakers go with it)
_breakers: weakref.WeakValueDictionary[str, CircuitBreaker] = weakref.WeakValueDictionary()


def watch_breaker(provider: str, breaker: CircuitBreaker) -> None:
    _breakers[provider] = breaker


def _breaker_states() -> list[tuple[float, dict[str, str]]]:
    return [(BREAKER_VALUES[b.state], {"gen_ai.provider.name": p}) for p, b in list(_breakers.items())]


gauge("lore.llm.breaker.state", "1", "Circuit breaker per provider: 0 closed, 1 half-open, 2 open.", _breaker_states)
