"""The outermost ASGI layer, one per request: its id, its server span, its caller, its metrics and access-log line.

One pure-ASGI layer instead of a middleware each: the request id (echoed from ``X-Request-ID`` when sane),
the OpenTelemetry server span (W3C ``traceparent`` honoured; an unsampled request gets a non-recording span,
so its DB and Redis children are dropped too, at no cost), the holder that authentication fills with the
caller for every log line, the in-flight gauge, and at the end ``request_ended`` with what the request was
and how it went (the duration histogram and the access-log line).
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

from entrypoints.bootstrap.logging import LogCaller, caller_var, emit_trusted, request_id_var
from entrypoints.bootstrap.metrics import observe_http_request, request_started
from entrypoints.bootstrap.metrics import request_ended as request_finished
from entrypoints.http.request_id import HEADER, is_sane

access_logger = logging.getLogger("lore.http.access")

_HEADER = HEADER.encode()
_TRACE_HEADERS = frozenset({b"traceparent", b"tracestate", b"baggage"})
# methods whose name may go into the access-log line unredacted (any other token is client-chosen text)
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_TRUSTED = frozenset({"method", "route", "status", "duration_ms"})
_APP_FIELDS = frozenset({"route", "status", "duration_ms"})


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
    """Called once per HTTP request after its response is sent: its duration metric and its access-log line."""
    observe_http_request(end.route, end.method, end.status, end.duration_seconds)
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
    # route templates are the app's own and the method one of a fixed set: nothing in them to scrub
    known = end.method in _KNOWN_METHODS
    emit_trusted(
        access_logger,
        logging.INFO,
        f"{end.method} {end.route or '(no route)'} {end.status}",
        fields,
        request_id=end.request_id,
        trusted=_TRUSTED if known else _APP_FIELDS,
        message_trusted=known,
    )


def request_id_of(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The sane ``X-Request-ID`` the client sent, else a new one."""
    incoming = next((bytes(v).decode("latin-1") for k, v in headers if k.lower() == _HEADER), None)
    return incoming if incoming and is_sane(incoming) else uuid.uuid4().hex


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
        request_id = request_id_of(headers)
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
        request_started(method)
        try:
            await self._app(scope, receive, send_with_id)
        finally:
            request_finished(method)
            route = scope.get("path_template")  # Litestar writes the matched route's template while routing
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
