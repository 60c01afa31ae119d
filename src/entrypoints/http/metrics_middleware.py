"""Records every HTTP request (route template, method, status class, duration) through one call.

The recording itself is ``observe_http_request``; this middleware only times the request and finds
the status, so the call can move into any other outermost hook unchanged.
"""

from __future__ import annotations

import time

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.bootstrap.metrics import observe_http_request, request_ended, request_started


class HttpMetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]
        status = 500  # the app raised before answering: the server sends a 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        request_started(method)
        try:
            await self._app(scope, receive, send_noting_status)
        finally:
            request_ended(method)
            # Litestar writes the matched route's template into the scope while routing
            observe_http_request(scope.get("path_template"), method, status, time.perf_counter() - started)
