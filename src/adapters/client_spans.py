"""A client span for one call to a store, made only when the request is sampled."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue


@contextmanager
def leaf_client_span(tracer: trace.Tracer, name: str, attributes: Mapping[str, AttributeValue]) -> Iterator[None]:
    """Started and ended, never made current (nothing runs under it), which halves its cost; a failure is
    recorded by its type only."""
    if not trace.get_current_span().is_recording():
        yield
        return
    span = tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
    try:
        yield
    except Exception as exc:
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        raise
    finally:
        span.end()
