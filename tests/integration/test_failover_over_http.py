"""The resilience layer over the real adapters and SDKs: failover, and the breaker's open / half-open / closed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from adapters.llm.anthropic_chat import AnthropicChatModel
from adapters.llm.openai_chat import OpenAIChatModel
from application.assistant.resilience import ResilientChatModel, RetryPolicy
from application.shared.resilience import BreakerState, CircuitBreaker
from domain.assistant.models import ChatTurn, TurnRole
from tests.support.chat_doubles import AnthropicDouble, OpenAIChatDouble
from tests.support.chat_fakes import RecordingSleeper
from tests.support.identity_fakes import MovableClock
from tests.support.servers import serve

TURNS = [ChatTurn(TurnRole.USER, "hello")]


@pytest.fixture
def doubles() -> Iterator[tuple[OpenAIChatDouble, str, AnthropicDouble, str]]:
    primary, backup = OpenAIChatDouble(answer="from openai"), AnthropicDouble(answer="from anthropic")
    with serve(primary) as primary_url, serve(backup) as backup_url:
        yield primary, f"{primary_url}/v1", backup, backup_url


def _state(breaker: CircuitBreaker) -> BreakerState:
    return breaker.state


async def test_breaker_cycle_over_real_http(doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str]) -> None:
    primary, primary_url, _, backup_url = doubles
    clock = MovableClock()
    breakers = [CircuitBreaker(clock, threshold=3, cooldown_seconds=30), CircuitBreaker(clock)]
    model = ResilientChatModel(
        [
            OpenAIChatModel(model="gpt-test", api_key="k", base_url=primary_url, timeout_seconds=1.0),
            AnthropicChatModel(model="claude-test", api_key="k", base_url=backup_url, timeout_seconds=1.0),
        ],
        breakers,
        RetryPolicy(attempts=3, base_delay=0.01),
        RecordingSleeper(),
        lambda: 0.5,
    )

    primary.script.extend([500, 502, 429])
    first = await model.complete(TURNS, 50)
    assert first.text == "from anthropic"  # three failed attempts, then failover
    assert len(primary.requests) == 3
    assert _state(breakers[0]) is BreakerState.OPEN

    second = await model.complete(TURNS, 50)
    assert second.provider == "anthropic"
    assert len(primary.requests) == 3  # open: the primary is not even called

    clock.advance(timedelta(seconds=31))
    assert _state(breakers[0]) is BreakerState.HALF_OPEN
    primary.script.append(503)  # the trial fails: open again for a full cooldown
    await model.complete(TURNS, 50)
    assert len(primary.requests) == 4
    assert _state(breakers[0]) is BreakerState.OPEN

    clock.advance(timedelta(seconds=31))
    recovered = await model.complete(TURNS, 50)  # the trial succeeds
    assert recovered.text == "from openai"
    assert _state(breakers[0]) is BreakerState.CLOSED

    events = [e async for e in model.stream(TURNS, 50)]
    assert events[-1].provider == "openai"  # type: ignore[union-attr]


async def test_timeouts_fail_over_too(doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str]) -> None:
    primary, primary_url, _, backup_url = doubles
    primary.slow_seconds = 2.0
    primary.script.extend(["slow", "slow"])
    clock = MovableClock()
    model = ResilientChatModel(
        [
            OpenAIChatModel(model="gpt-test", api_key="k", base_url=primary_url, timeout_seconds=0.5),
            AnthropicChatModel(model="claude-test", api_key="k", base_url=backup_url, timeout_seconds=0.5),
        ],
        [CircuitBreaker(clock), CircuitBreaker(clock)],
        RetryPolicy(attempts=2, base_delay=0.01),
        RecordingSleeper(),
        lambda: 0.5,
    )
    result = await model.complete(TURNS, 50)
    assert result.provider == "anthropic"
