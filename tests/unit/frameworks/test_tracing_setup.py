"""setup_tracing keeps the provider of the first call but attaches every call's extra processors, once each.

The provider here is a private one put in the module's place, so the process-wide one is never installed.
"""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from entrypoints.bootstrap import telemetry
from entrypoints.bootstrap.settings import Settings


def test_a_later_call_still_attaches_its_processor_once(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = TracerProvider()  # as if an app built from other settings had installed it first
    monkeypatch.setattr(telemetry, "_provider", installed)
    monkeypatch.setattr(telemetry, "_attached", [])
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)

    assert telemetry.setup_tracing(Settings(otel_service_name="later"), processor) is installed
    assert telemetry.setup_tracing(Settings(), processor) is installed  # the same processor again: not twice
    with installed.get_tracer("t").start_as_current_span("op"):
        pass

    assert [span.name for span in exporter.get_finished_spans()] == ["op"]
