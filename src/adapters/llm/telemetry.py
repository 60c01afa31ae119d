"""Spans and metrics for LLM calls following the OpenTelemetry GenAI semantic conventions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from adapters.metrics.llm import observe_call, observe_tokens
from domain.assistant.models import Usage

_tracer = trace.get_tracer("lore.llm")


class LlmSpan:
    def __init__(self, span: Span, provider: str, model: str) -> None:
        self._span = span
        self._provider = provider
        self._model = model

    def record(self, usage: Usage, response_model: str | None) -> None:
        observe_tokens(self._provider, self._model, usage.input_tokens, usage.output_tokens)
        self._span.set_attribute("gen_ai.usage.input_tokens", usage.input_tokens)
        self._span.set_attribute("gen_ai.usage.output_tokens", usage.output_tokens)
        if response_model:
            self._span.set_attribute("gen_ai.response.model", response_model)


@contextmanager
def llm_span(provider: str, model: str, max_tokens: int, *, streaming: bool = False) -> Iterator[LlmSpan]:
    with _tracer.start_as_current_span(f"chat {model}", kind=SpanKind.CLIENT) as span:
        span.set_attribute("gen_ai.operation.name", "chat")
        span.set_attribute("gen_ai.provider.name", provider)
        span.set_attribute("gen_ai.system", provider)
        span.set_attribute("gen_ai.request.model", model)
        span.set_attribute("gen_ai.request.max_tokens", max_tokens)
        span.set_attribute("lore.llm.streaming", streaming)
        started = time.perf_counter()
        try:
            yield LlmSpan(span, provider, model)
        except Exception as exc:
            observe_call(provider, model, time.perf_counter() - started, type(exc).__name__)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            span.set_attribute("error.type", type(exc).__name__)
            raise
        observe_call(provider, model, time.perf_counter() - started, None)
