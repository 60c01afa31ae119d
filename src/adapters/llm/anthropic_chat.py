"""Chat over the Anthropic Messages API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

import anthropic
from anthropic import AsyncAnthropic
from anthropic.types import MessageParam, TextBlock

from adapters.llm.errors import http_error, transport_error
from adapters.llm.remote_model import RemoteChatModel
from adapters.llm.telemetry import llm_span
from application.assistant.ports import Completion, ProviderError, StreamDelta, StreamDone, StreamEvent
from domain.assistant.models import ChatTurn, TurnRole, Usage


def provider_error(name: str, exc: Exception) -> ProviderError:
    if isinstance(exc, anthropic.APIStatusError):
        return http_error(name, exc.status_code, exc.response.headers if exc.response is not None else None)
    return transport_error(name, exc, timeout=anthropic.APITimeoutError, connection=anthropic.APIConnectionError)


def _split(turns: Sequence[ChatTurn]) -> tuple[str, list[MessageParam]]:
    """Anthropic takes the system prompt apart from the messages."""
    system = "\n\n".join(t.content for t in turns if t.role is TurnRole.SYSTEM)
    messages = [{"role": t.role.value, "content": t.content} for t in turns if t.role is not TurnRole.SYSTEM]
    return system, cast("list[MessageParam]", messages)


class AnthropicChatModel(RemoteChatModel):
    def __init__(
        self, *, model: str, api_key: str | None, base_url: str | None, timeout_seconds: float, name: str = "anthropic"
    ) -> None:
        self._client = AsyncAnthropic(
            api_key=api_key or "not-needed", base_url=base_url, timeout=timeout_seconds, max_retries=0
        )
        super().__init__(name=name, model=model)

    async def complete(self, turns: Sequence[ChatTurn], max_tokens: int) -> Completion:
        system, messages = _split(turns)
        with llm_span(self._name, self._model, max_tokens) as span:
            try:
                response = await self._client.messages.create(
                    model=self._model,
                    system=system,
                    messages=messages,
                    max_tokens=max_tokens,
                )
                text = "".join(block.text for block in response.content if isinstance(block, TextBlock))
            except (anthropic.AnthropicError, AttributeError, ValueError) as exc:
                raise provider_error(self._name, exc) from exc
            usage = Usage(response.usage.input_tokens, response.usage.output_tokens)
            span.record(usage, response.model)
            return Completion(text, usage, self._name, response.model or self._model)

    async def stream(self, turns: Sequence[ChatTurn], max_tokens: int) -> AsyncIterator[StreamEvent]:
        system, messages = _split(turns)
        with llm_span(self._name, self._model, max_tokens, streaming=True) as span:
            input_tokens = output_tokens = 0
            model = self._model
            try:
                stream: Any = await self._client.messages.create(
                    model=self._model,
                    system=system,
                    messages=messages,
                    max_tokens=max_tokens,
                    stream=True,
                )
                async for event in stream:
                    if event.type == "message_start":
                        model = event.message.model or model
                        input_tokens = event.message.usage.input_tokens
                    elif event.type == "content_block_delta" and getattr(event.delta, "type", "") == "text_delta":
                        yield StreamDelta(event.delta.text)
                    elif event.type == "message_delta":
                        output_tokens = event.usage.output_tokens
                    elif event.type == "error":
                        raise ProviderError(self._name, "error event in stream", retryable=True)
            except (anthropic.AnthropicError, AttributeError, ValueError, KeyError) as exc:
                raise provider_error(self._name, exc) from exc
            usage = Usage(input_tokens, output_tokens)
            span.record(usage, model)
            yield StreamDone(usage, self._name, model)

    async def close(self) -> None:
        await self._client.close()
