"""The OpenAI and Anthropic adapters through the real SDKs against wire-protocol doubles."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from adapters.llm.anthropic_chat import AnthropicChatModel
from adapters.llm.openai_chat import OpenAIChatModel
from application.assistant.ports import ChatModel, ProviderError, StreamDelta, StreamDone
from domain.assistant.models import ChatTurn, TurnRole
from tests.support.chat_doubles import AnthropicDouble, ChatDouble, OpenAIChatDouble
from tests.support.servers import serve

TURNS = [ChatTurn(TurnRole.SYSTEM, "Be brief."), ChatTurn(TurnRole.USER, "How many vacation days?")]


@pytest.fixture(params=["openai", "anthropic"])
def provider(request: pytest.FixtureRequest) -> Iterator[tuple[ChatDouble, ChatModel]]:
    if request.param == "openai":
        double: ChatDouble = OpenAIChatDouble()
        with serve(double) as url:
            yield double, OpenAIChatModel(model="gpt-test", api_key="k", base_url=f"{url}/v1", timeout_seconds=1.0)
    else:
        double = AnthropicDouble()
        with serve(double) as url:
            yield double, AnthropicChatModel(model="claude-test", api_key="k", base_url=url, timeout_seconds=1.0)


async def test_complete(provider: tuple[ChatDouble, ChatModel]) -> None:
    double, model = provider
    completion = await model.complete(TURNS, 200)
    assert completion.text == double.answer
    assert completion.usage.input_tokens > 0
    assert completion.usage.output_tokens == len(double.tokens())
    assert completion.provider == model.provider
    request = double.requests[-1]
    assert request["max_tokens"] == 200
    if model.provider == "anthropic":
        assert request["system"] == "Be brief."
        assert [m["role"] for m in request["messages"]] == ["user"]
    else:
        assert [m["role"] for m in request["messages"]] == ["system", "user"]


async def test_stream(provider: tuple[ChatDouble, ChatModel]) -> None:
    double, model = provider
    events = [event async for event in model.stream(TURNS, 200)]
    deltas = [e.text for e in events if isinstance(e, StreamDelta)]
    assert "".join(deltas) == double.answer
    assert len(deltas) == len(double.tokens())
    done = events[-1]
    assert isinstance(done, StreamDone)
    assert done.usage.output_tokens == len(double.tokens())
    assert done.usage.input_tokens > 0


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (408, True),
        (409, True),
        (429, True),
        (500, True),
        (503, True),
        (529, True),
        (400, False),
        (401, False),
        (404, False),
    ],
)
async def test_http_errors_are_classified(provider: tuple[ChatDouble, ChatModel], status: int, retryable: bool) -> None:
    double, model = provider
    double.script.append(status)
    with pytest.raises(ProviderError) as caught:
        await model.complete(TURNS, 50)
    assert caught.value.retryable is retryable
    assert len(double.requests) == 1  # the SDK's own retries are off: one retry layer only
    if status == 429:
        assert caught.value.retry_after == 0.0


async def test_timeouts_are_retryable(provider: tuple[ChatDouble, ChatModel]) -> None:
    double, model = provider
    double.script.append("slow")
    with pytest.raises(ProviderError, match="timed out") as caught:
        await model.complete(TURNS, 50)
    assert caught.value.retryable


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_an_unreachable_server_is_a_retryable_connection_failure(kind: str) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the socket is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    model: ChatModel = (
        OpenAIChatModel(model="m", api_key="k", base_url=f"{url}/v1", timeout_seconds=5.0)
        if kind == "openai"
        else AnthropicChatModel(model="m", api_key="k", base_url=url, timeout_seconds=5.0)
    )
    with pytest.raises(ProviderError, match="connection failed") as caught:
        await model.complete(TURNS, 50)
    assert caught.value.retryable


async def test_stream_errors_before_the_first_token(provider: tuple[ChatDouble, ChatModel]) -> None:
    double, model = provider
    double.script.append(503)
    with pytest.raises(ProviderError):
        _ = [event async for event in model.stream(TURNS, 50)]


async def test_token_counts_sent_as_null_count_as_zero() -> None:
    double = OpenAIChatDouble()
    double.script.append("null-usage")
    with serve(double) as url:
        model = OpenAIChatModel(model="m", api_key="k", base_url=f"{url}/v1", timeout_seconds=5.0)
        completion = await model.complete(TURNS, 50)
    assert (completion.text, completion.usage.input_tokens, completion.usage.output_tokens) == (double.answer, 0, 0)


async def test_a_malformed_answer_raises(provider: tuple[ChatDouble, ChatModel]) -> None:
    double, model = provider
    double.script.append("malformed")
    with pytest.raises(ProviderError):
        await model.complete(TURNS, 50)


async def test_malformed_stream_chunks_raise(provider: tuple[ChatDouble, ChatModel]) -> None:
    double, model = provider
    double.script.append("malformed")
    received: list[object] = []

    async def consume() -> None:
        async for event in model.stream(TURNS, 50):
            received.append(event)

    with pytest.raises(ProviderError):
        await consume()
    assert len(received) == 1
