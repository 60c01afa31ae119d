"""Spans for LLM calls following the OpenTelemetry GenAI semantic conventions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from domain.assistant.models import Usage

_tracer = trace.get_tracer("lore.llm")


class LlmSpan:
    def __init__(self, span: Span) -> None:
        self._span = span

    def record(self, usage: Usage, response_model: str | None) -> None:
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
        try:
            yield LlmSpan(span)
        except Exception as exc:
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            span.set_attribute("error.type", type(exc).__name__)
            raise
