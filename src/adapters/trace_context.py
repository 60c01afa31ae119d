"""The W3C ``traceparent`` of the current span, and back: how a job carries the trace of the work that queued it.

Only ``traceparent`` travels (no ``tracestate``, no baggage): it is all a consumer span needs to join the
trace, and baggage could carry anything the caller put there into the database and the queue.
"""

from __future__ import annotations

from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
_W3C = TraceContextTextMapPropagator()


def current_traceparent() -> str | None:
    """The current span's ``traceparent``; None outside any (valid) span, e.g. with tracing not set up."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get(TRACEPARENT)


def trace_meta(traceparent: str | None = None) -> dict[str, str]:
    """SAQ job ``meta`` carrying ``traceparent`` (the given one, else the current span's); empty without one."""
    value = traceparent or current_traceparent()
    return {TRACEPARENT: value} if value else {}


def context_from(traceparent: str | None) -> Context | None:
    """The remote parent a ``traceparent`` names; None when missing or malformed (the span is then a root)."""
    if not traceparent:
        return None
    context = _W3C.extract({TRACEPARENT: traceparent})
    return context or None
