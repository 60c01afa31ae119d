"""OpenTelemetry tracing: one TracerProvider per process, configured from settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.trace import Status
from opentelemetry.util.types import AttributeValue

from entrypoints.bootstrap.redaction import REDACTED, is_sensitive_name, redact
from entrypoints.bootstrap.settings import Settings

_provider: TracerProvider | None = None
_attached: list[SpanProcessor] = []  # the extra processors already on _provider, compared by identity


def setup_tracing(settings: Settings, *extra_processors: SpanProcessor) -> TracerProvider:
    """Install the process-wide provider once, from the first call's settings, and return it.

    With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, spans go to it over OTLP/HTTP;
    otherwise spans are created (ids reach the logs) but not exported.
    Extra processors are attached whichever call brings them, each once: a caller that is not the
    first (the tests' in-memory exporter, after an app built elsewhere installed the provider) must
    not lose its processor.
    """
    global _provider  # noqa: PLW0603 - the OTel global provider can be set only once per process
    if _provider is None:
        _provider = _installed_provider(settings)
    for processor in extra_processors:
        if not any(processor is attached for attached in _attached):
            _provider.add_span_processor(RedactingSpanProcessor(processor))
            _attached.append(processor)
    return _provider


def _installed_provider(settings: Settings) -> TracerProvider:
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel_service_name}), sampler=sampler_of(settings)
    )
    if settings.otel_exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415 - only when exporting
            OTLPSpanExporter,
        )

        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(RedactingSpanProcessor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint))))
    trace.set_tracer_provider(provider)
    # Both patch constructors globally, so engines and clients made later are traced
    RedisInstrumentor().instrument(tracer_provider=provider)
    # the instrumentor declares sqlalchemy < 2.1, but the event hooks it uses are unchanged in 2.1
    # its pool metrics would duplicate ours (adapters.metrics.platform), so it gets no meter
    SQLAlchemyInstrumentor().instrument(
        tracer_provider=provider,
        meter_provider=NoOpMeterProvider(),
        enable_commenter=False,
        skip_dep_check=True,
    )
    return provider


def sampler_of(settings: Settings) -> Sampler:
    """``OTEL_TRACES_SAMPLER`` / ``_ARG`` as the SDK reads them; unsampled requests get no-op spans."""
    name = settings.otel_traces_sampler
    root: Sampler
    if name.endswith("always_on"):
        root = ALWAYS_ON
    elif name.endswith("always_off"):
        root = ALWAYS_OFF
    else:
        root = TraceIdRatioBased(settings.otel_traces_sampler_arg)
    return ParentBased(root) if name.startswith("parentbased_") else root


class RedactingSpanProcessor(SpanProcessor):
    """Hands the wrapped processor a copy of each ended span with secrets scrubbed out.

    Error statuses and exception events carry database error text (values echoed by Postgres) and
    URLs carry one-time tokens (``/verify-email?token=...``); none of that may reach a trace backend.
    """

    def __init__(self, inner: SpanProcessor) -> None:
        self._inner = inner

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self._inner.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        self._inner.on_end(redacted_span(span))

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._inner.force_flush(timeout_millis)


def redacted_span(span: ReadableSpan) -> ReadableSpan:
    status = span.status
    if status.description:
        status = Status(status.status_code, redact(status.description))
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=_redacted_attributes(span.attributes),
        events=[Event(event.name, _redacted_attributes(event.attributes), event.timestamp) for event in span.events],
        links=span.links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def _redacted_attributes(attributes: Mapping[str, AttributeValue] | None) -> dict[str, AttributeValue]:
    return {name: _redacted_attribute(name, value) for name, value in (attributes or {}).items()}


def _redacted_attribute(name: str, value: AttributeValue) -> AttributeValue:
    if isinstance(value, str):
        return REDACTED if is_sensitive_name(name) else redact(value)
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        return tuple(redact(item) if isinstance(item, str) else item for item in value)
    return value
