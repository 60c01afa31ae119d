"""The span processor scrubs secrets from exported spans (needs the OpenTelemetry SDK and the instrumentors)."""

from __future__ import annotations

import sys

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from entrypoints.bootstrap.telemetry import RedactingSpanProcessor

HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"
OPAQUE = "Zk3vQ9tLx2Rb7NwPq4Hc8Ys1Jd6Mf0Ga5Ke3Ut9Wi2O"  # the shape of secrets.token_urlsafe(32)


def _raised(message: str) -> BaseException:
    try:
        raise RuntimeError(message)
    except RuntimeError:
        return sys.exc_info()[1]  # type: ignore[return-value]


def test_span_processor_exports_scrubbed_copies() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(RedactingSpanProcessor(SimpleSpanProcessor(exporter)))
    with provider.get_tracer("t").start_as_current_span("op", record_exception=False) as span:
        span.set_attribute("http.url", f"http://x/verify-email?token={OPAQUE}")
        span.set_attribute("db.statement", "SELECT 1 WHERE id = $1")
        span.set_attribute("lore.emails", ["ann@example.org"])
        span.set_attribute("lore.api_key", "anything")
        span.set_attribute("lore.count", 3)
        span.record_exception(_raised(f"Key (email)=(ann@example.org), {HASH}"))
        span.set_status(Status(StatusCode.ERROR, f"failed for ann@example.org with {HASH}"))
    assert provider.force_flush()
    (exported,) = exporter.get_finished_spans()
    assert exported.attributes is not None
    assert exported.attributes["http.url"] == "http://x/verify-email?token=[REDACTED]"
    assert exported.attributes["db.statement"] == "SELECT 1 WHERE id = $1"
    assert exported.attributes["lore.emails"] == ("[REDACTED:email]",)
    assert exported.attributes["lore.api_key"] == "[REDACTED]"
    assert exported.attributes["lore.count"] == 3
    assert exported.status.description == "failed for [REDACTED:email] with [REDACTED:argon2]"
    (event,) = exported.events
    texts = " ".join(str(value) for value in (event.attributes or {}).values())
    assert "RuntimeError" in texts
    assert HASH not in texts
    assert "ann@example.org" not in texts
    provider.shutdown()
