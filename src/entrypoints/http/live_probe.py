"""``GET /health/live`` answered in the outermost layer, with a response made once at start-up.

Orchestrators poll it often, and it must stay fast when the API is saturated: no routing, DI, rate limit,
tracing, database or per-request header work. It still carries what every response carries (its request
id, the platform headers) and is counted and logged like any request. The Litestar handler of the same path
stays for the OpenAPI document and for browsers (a request with ``Origin`` gets CORS headers from the app).
"""

from __future__ import annotations

import time

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.edge import RequestEnd, request_ended, request_id_of
from entrypoints.http.platform_headers import hsts_header, with_platform_headers
from entrypoints.http.request_id import HEADER

LIVE_PATH = "/health/live"
_BODY = msgspec.json.encode({"data": {"status": "ok"}})
_REQUEST_ID = HEADER.encode()


class LiveProbe:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self._app = app
        self._headers = with_platform_headers(
            [(b"content-type", b"application/json"), (b"content-length", str(len(_BODY)).encode())],
            is_api=False,
            hsts=hsts_header(settings),
            charged=None,  # probes are never rate limited
        )
        self._body = {"type": "http.response.body", "body": _BODY, "more_body": False}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["path"] != LIVE_PATH or scope["method"] != "GET":
            await self._app(scope, receive, send)
            return
        if any(key.lower() == b"origin" for key, _ in scope["headers"]):  # CORS: the app answers it
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope["headers"])
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*self._headers, (_REQUEST_ID, request_id.encode())],
            }
        )
        await send(self._body)  # type: ignore[arg-type]  # a TypedDict made once
        request_ended(
            RequestEnd("GET", LIVE_PATH, LIVE_PATH, 200, time.perf_counter() - started, request_id, None, None)
        )
