"""Chat over the OpenAI API or any OpenAI-compatible server (vLLM, Ollama, LM Studio, ...)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

import msgspec
import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam

from adapters.llm.errors import http_error, transport_error
from adapters.llm.remote_model import RemoteChatModel
from adapters.llm.telemetry import llm_span
from application.assistant.ports import Completion, ProviderError, StreamDelta, StreamDone, StreamEvent
from domain.assistant.models import ChatTurn, Usage


def provider_error(name: str, exc: Exception) -> ProviderError:
    if isinstance(exc, openai.APIStatusError):
        return http_error(name, exc.status_code, exc.response.headers if exc.response is not None else None)
    return transport_error(name, exc, timeout=openai.APITimeoutError, connection=openai.APIConnectionError)


class _Message(msgspec.Struct):
    content: str | None = None


class _Choice(msgspec.Struct):
    message: _Message


class _Usage(msgspec.Struct):
    prompt_tokens: int | None = None  # some OpenAI-compatible servers send null
    completion_tokens: int | None = None


class _Completion(msgspec.Struct):
    choices: list[_Choice]
    model: str | None = None
    usage: _Usage | None = None


class _Request(msgspec.Struct, omit_defaults=True):
    model: str
    messages: list[dict[str, str]]
    max_tokens: int


# The SDK's typed path walks the request through its param transforms and builds pydantic models from the
# answer: ~1 ms of CPU per call on the /ask path. Its plain `post` keeps its client (auth, timeouts, error
# types, connection pool) and takes a body msgspec encodes and an answer msgspec decodes.
_encode_request = msgspec.json.Encoder().encode
_decode_completion = msgspec.json.Decoder(_Completion).decode
_JSON = {"Content-Type": "application/json"}


def _messages(turns: Sequence[ChatTurn]) -> list[ChatCompletionMessageParam]:
    return cast(
        "list[ChatCompletionMessageParam]", [{"role": turn.role.value, "content": turn.content} for turn in turns]
    )


class OpenAIChatModel(RemoteChatModel):
    def __init__(
        self, *, model: str, api_key: str | None, base_url: str | None, timeout_seconds: float, name: str = "openai"
    ) -> None:
        # max_retries=0: the resilience layer is the only retry layer
        self._client = AsyncOpenAI(
            api_key=api_key or "not-needed", base_url=base_url, timeout=timeout_seconds, max_retries=0
        )
        super().__init__(name=name, model=model)

    async def complete(self, turns: Sequence[ChatTurn], max_tokens: int) -> Completion:
        with llm_span(self._name, self._model, max_tokens) as span:
            body = _Request(self._model, [{"role": t.role.value, "content": t.content} for t in turns], max_tokens)
            try:
                raw = await self._client.post(
                    "/chat/completions", cast_to=str, content=_encode_request(body), options={"headers": _JSON}
                )
                response = _decode_completion(raw)
                text = response.choices[0].message.content or ""
            except (openai.OpenAIError, msgspec.MsgspecError, IndexError, ValueError) as exc:
                raise provider_error(self._name, exc) from exc
            counted = response.usage or _Usage()
            usage = Usage(counted.prompt_tokens or 0, counted.completion_tokens or 0)
            span.record(usage, response.model)
            return Completion(text, usage, self._name, response.model or self._model)

    async def stream(self, turns: Sequence[ChatTurn], max_tokens: int) -> AsyncIterator[StreamEvent]:
        with llm_span(self._name, self._model, max_tokens, streaming=True) as span:
            usage = Usage()
            model = self._model
            try:
                stream: Any = await self._client.chat.completions.create(
                    model=self._model,
                    messages=_messages(turns),
                    max_tokens=max_tokens,
                    stream=True,
                    stream_options={"include_usage": True},
                )
                async for chunk in stream:
                    model = chunk.model or model
                    if chunk.usage is not None:
                        usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                    for choice in chunk.choices:
                        if choice.delta and choice.delta.content:
                            yield StreamDelta(choice.delta.content)
            except (openai.OpenAIError, AttributeError, ValueError, KeyError) as exc:
                raise provider_error(self._name, exc) from exc
            span.record(usage, model)
            yield StreamDone(usage, self._name, model)

    async def close(self) -> None:
        await self._client.close()
