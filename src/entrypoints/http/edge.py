"""The outermost ASGI layer, one per request: its id, its server span, its caller and its access-log line.

One pure-ASGI layer instead of a middleware each: the request id (echoed from ``X-Request-ID`` when sane),
the OpenTelemetry server span (W3C ``traceparent`` honoured; an unsampled request gets a non-recording span,
so its DB and Redis children are dropped too, at no cost), the holder that authentication fills with the
caller for every log line, and at the end ``request_ended`` with what the request was and how it went.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

from entrypoints.bootstrap.logging import LogCaller, caller_var, request_id_var
from entrypoints.http.request_id import HEADER, is_sane

access_logger = logging.getLogger("lore.http.access")

_HEADER = HEADER.encode()
_TRACE_HEADERS = frozenset({b"traceparent", b"tracestate", b"baggage"})


@dataclass(frozen=True, slots=True)
class RequestEnd:
    method: str
    route: str | None  # the path template (``/api/v1/collections/{collection_id}``); None: no route
    path: str
    status: int
    duration_seconds: float
    request_id: str
    user_id: str | None
    api_key_id: str | None


def request_ended(end: RequestEnd) -> None:
    """Called once per HTTP request after its response is sent: the access-log line (and where request metrics go)."""
    if not access_logger.isEnabledFor(logging.INFO):
        return
    fields: dict[str, object] = {
        "method": end.method,
        "route": end.route,
        "status": end.status,
        "duration_ms": round(end.duration_seconds * 1000, 2),
    }
    if end.route is None:
        fields["path"] = end.path  # client-chosen: the log filter redacts it like any value
    access_logger.info("%s %s %s", end.method, end.route or "(no route)", end.status, extra=fields)


def _carrier(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str] | None:
    found = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers if k.lower() in _TRACE_HEADERS}
    return found or None


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, tracer: Tracer, *, untraced_paths: frozenset[str] = frozenset()) -> None:
        self._app = app
        self._tracer = tracer
        self._untraced = untraced_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = scope.get("headers", [])
        incoming = next((bytes(v).decode("latin-1") for k, v in headers if k.lower() == _HEADER), None)
        request_id = incoming if incoming and is_sane(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        method, path = scope["method"], scope["path"]
        status = 500  # what the server answers when the app raises or ends without a response
        response_id = request_id.encode()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *((k, v) for k, v in message.get("headers", []) if k.lower() != _HEADER),
                    (_HEADER, response_id),
                ]
            await send(message)

        caller = LogCaller()
        tokens = (request_id_var.set(request_id), caller_var.set(caller))
        span = None
        attached = None
        if path not in self._untraced:
            carrier = _carrier(headers)
            parent = propagate.extract(carrier) if carrier else None
            span = self._tracer.start_span(method, context=parent, kind=SpanKind.SERVER)
            attached = context.attach(trace.set_span_in_context(span, parent))
        try:
            await self._app(scope, receive, send_with_id)
        finally:
            route = scope.get("path_template")
            if span is not None and span.is_recording():
                span.update_name(f"{method} {route}" if route else method)
                span.set_attributes(
                    {
                        "http.request.method": method,
                        "url.path": path,
                        "http.response.status_code": status,
                        "http.request_id": request_id,
                        **({"http.route": route} if route else {}),
                    }
                )
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
            # still inside the span's context: the access-log line carries the trace id
            request_ended(
                RequestEnd(
                    method,
                    route,
                    path,
                    status,
                    time.perf_counter() - started,
                    request_id,
                    caller.user_id,
                    caller.api_key_id,
                )
            )
            if span is not None:
                span.end()
                context.detach(attached)  # type: ignore[arg-type]
            caller_var.reset(tokens[1])
            request_id_var.reset(tokens[0])
