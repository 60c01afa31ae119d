from __future__ import annotations

from datetime import timedelta

import pytest

from application.assistant.ports import ProviderError, StreamDelta, StreamDone
from application.assistant.resilience import ResilientChatModel, RetryPolicy
from application.shared.resilience import BreakerState, CircuitBreaker
from domain.assistant.errors import AllProvidersFailedError
from domain.assistant.models import ChatTurn, TurnRole
from tests.support.chat_fakes import (
    MID_STREAM_FAILURE,
    RecordingResilienceMetrics,
    RecordingSleeper,
    ScriptedChatModel,
    fatal,
    transient,
)
from tests.support.identity_fakes import MovableClock

TURNS = [ChatTurn(TurnRole.USER, "hi")]


def _model(
    *providers: ScriptedChatModel, clock: MovableClock | None = None, attempts: int = 3
) -> tuple[ResilientChatModel, RecordingSleeper]:
    sleeper = RecordingSleeper()
    clock = clock or MovableClock()
    breakers = [CircuitBreaker(clock, threshold=3, cooldown_seconds=30) for _ in providers]
    return ResilientChatModel(providers, breakers, RetryPolicy(attempts=attempts), sleeper, lambda: 0.5), sleeper


async def test_retries_transient_errors_with_backoff_then_succeeds() -> None:
    primary = ScriptedChatModel("openai", [transient("openai"), transient("openai")])
    model, sleeper = _model(primary)
    result = await model.complete(TURNS, 100)
    assert result.provider == "openai"
    assert len(primary.calls) == 3
    assert sleeper.sleeps == [0.25, 0.5]  # base 0.5 * 2^(n-1) * jitter 0.5


async def test_retry_after_is_honoured() -> None:
    primary = ScriptedChatModel("openai", [transient("openai", retry_after=3.0)])
    model, sleeper = _model(primary)
    await model.complete(TURNS, 100)
    assert sleeper.sleeps == [3.0]


async def test_fails_over_to_the_next_provider() -> None:
    primary = ScriptedChatModel("openai", [transient("openai")] * 3)
    backup = ScriptedChatModel("anthropic")
    model, _ = _model(primary, backup)
    result = await model.complete(TURNS, 100)
    assert result.provider == "anthropic"
    assert len(primary.calls) == 3


async def test_non_retryable_errors_fail_over_at_once() -> None:
    primary = ScriptedChatModel("openai", [fatal("openai")])
    backup = ScriptedChatModel("anthropic")
    model, sleeper = _model(primary, backup)
    assert (await model.complete(TURNS, 100)).provider == "anthropic"
    assert len(primary.calls) == 1
    assert sleeper.sleeps == []


async def test_all_failing_is_a_clean_503_error() -> None:
    model, _ = _model(ScriptedChatModel("openai", [fatal("openai")]), ScriptedChatModel("b", [fatal("b")]))
    with pytest.raises(AllProvidersFailedError) as caught:
        await model.complete(TURNS, 100)
    assert caught.value.code == "LLM_UNAVAILABLE"
    assert len(caught.value.details["attempts"]) == 2


def _state(breaker: CircuitBreaker) -> BreakerState:
    return breaker.state  # a call, so the type checker does not pin the value between steps


async def test_breaker_opens_half_opens_and_closes() -> None:
    clock = MovableClock()
    breaker = CircuitBreaker(clock, threshold=2, cooldown_seconds=30)
    assert _state(breaker) is BreakerState.CLOSED
    breaker.failed()
    assert breaker.allow()
    breaker.failed()
    assert _state(breaker) is BreakerState.OPEN
    assert not breaker.allow()
    clock.advance(timedelta(seconds=31))
    assert _state(breaker) is BreakerState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()  # one trial at a time
    breaker.failed()
    assert _state(breaker) is BreakerState.OPEN  # the failed trial re-opened it
    clock.advance(timedelta(seconds=31))
    assert breaker.allow()
    breaker.succeeded()
    assert _state(breaker) is BreakerState.CLOSED


async def test_an_open_breaker_skips_the_provider() -> None:
    clock = MovableClock()
    primary = ScriptedChatModel("openai", [fatal("openai")] * 3)
    backup = ScriptedChatModel("anthropic")
    model, _ = _model(primary, backup, clock=clock, attempts=1)
    for _ in range(3):
        await model.complete(TURNS, 100)
    calls = len(primary.calls)
    await model.complete(TURNS, 100)
    assert len(primary.calls) == calls  # breaker open: not even tried
    clock.advance(timedelta(seconds=31))
    await model.complete(TURNS, 100)
    assert len(primary.calls) == calls + 1  # half-open trial (it succeeds: the script is used up)


async def test_stream_fails_over_before_the_first_token() -> None:
    primary = ScriptedChatModel("openai", [fatal("openai")])
    backup = ScriptedChatModel("anthropic", answer="From backup")
    model, _ = _model(primary, backup)
    events = [event async for event in model.stream(TURNS, 100)]
    assert "".join(e.text for e in events if isinstance(e, StreamDelta)) == "From backup"
    assert isinstance(events[-1], StreamDone)
    assert events[-1].provider == "anthropic"


@pytest.mark.parametrize("streamed", [False, True])
async def test_failover_is_logged_for_calls_and_streams(streamed: bool, caplog: pytest.LogCaptureFixture) -> None:
    primary = ScriptedChatModel("openai", [fatal("openai")])
    model, _ = _model(primary, ScriptedChatModel("anthropic"))
    with caplog.at_level("WARNING", logger="application.assistant.resilience"):
        if streamed:
            _ = [event async for event in model.stream(TURNS, 100)]
        else:
            await model.complete(TURNS, 100)
    assert [(r.message, getattr(r, "provider", None)) for r in caplog.records] == [
        ("chat provider failed over", "openai")
    ]


async def test_stream_does_not_switch_provider_after_tokens_were_sent() -> None:
    primary = ScriptedChatModel("openai", [MID_STREAM_FAILURE], answer="Partial answer")
    backup = ScriptedChatModel("anthropic")
    model, _ = _model(primary, backup)
    received: list[object] = []

    async def consume() -> None:
        async for event in model.stream(TURNS, 100):
            received.append(event)

    with pytest.raises(ProviderError):
        await consume()
    assert [e.text for e in received if isinstance(e, StreamDelta)] == ["Partial"]
    assert backup.calls == []


async def test_stream_with_every_provider_down() -> None:
    model, _ = _model(ScriptedChatModel("openai", [fatal("openai")]))
    with pytest.raises(AllProvidersFailedError):
        _ = [event async for event in model.stream(TURNS, 100)]


def test_configuration_errors() -> None:
    with pytest.raises(ValueError, match="provider"):
        ResilientChatModel([], [], RetryPolicy(), RecordingSleeper(), lambda: 0.0)
    model, _ = _model(ScriptedChatModel("openai"), ScriptedChatModel("anthropic"))
    assert model.provider == "openai"
    assert model.model == "openai:openai-model|anthropic:anthropic-model"


async def test_retries_and_failovers_are_reported_per_provider() -> None:
    primary = ScriptedChatModel("openai", [transient("openai")] * 3)
    backup = ScriptedChatModel("anthropic", [transient("anthropic")] * 3)
    breakers = [CircuitBreaker(MovableClock(), threshold=5) for _ in range(2)]
    metrics = RecordingResilienceMetrics()
    model = ResilientChatModel(
        [primary, backup], breakers, RetryPolicy(attempts=3), RecordingSleeper(), lambda: 0.5, metrics
    )
    with pytest.raises(AllProvidersFailedError):
        await model.complete(TURNS, 100)
    assert metrics.retries == ["openai", "openai", "anthropic", "anthropic"]  # the last attempt is no retry
    assert metrics.failovers == ["openai"]  # the last provider has no next one to fail over to
