"""OpenTelemetry tracing: one TracerProvider per process, configured from settings."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from entrypoints.bootstrap.settings import Settings

_provider: TracerProvider | None = None


def setup_tracing(settings: Settings, *extra_processors: SpanProcessor) -> TracerProvider:
    """Install the process-wide provider once; later calls return it unchanged.

    With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, spans go to it over OTLP/HTTP;
    otherwise spans are created (ids reach the logs) but not exported.
    """
    global _provider  # noqa: PLW0603 - the OTel global provider can be set only once per process
    if _provider is not None:
        return _provider
    provider = TracerProvider(resource=Resource.create({"service.name": settings.otel_service_name}))
    if settings.otel_exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415 - only when exporting
            OTLPSpanExporter,
        )

        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    for processor in extra_processors:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    # Both patch constructors globally, so engines and clients made later are traced
    RedisInstrumentor().instrument(tracer_provider=provider)
    # the instrumentor declares sqlalchemy < 2.1, but the event hooks it uses are unchanged in 2.1
    SQLAlchemyInstrumentor().instrument(tracer_provider=provider, enable_commenter=False, skip_dep_check=True)
    _provider = provider
    return provider
