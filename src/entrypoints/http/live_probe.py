"""``GET /health/live`` answered before the app: no routing, DI, rate limit, tracing or database.

Orchestrators poll it often, and it must stay fast when the API is saturated. The Litestar handler of
the same path stays for the OpenAPI document and for browsers (a request with ``Origin`` gets CORS headers
from the app); this layer answers probes with the same body first.
"""

from __future__ import annotations

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

LIVE_PATH = "/health/live"
_BODY = msgspec.json.encode({"data": {"status": "ok"}})
_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(_BODY)).encode())]


class LiveProbe:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != ScopeType.HTTP
            or scope["path"] != LIVE_PATH
            or scope["method"] != "GET"
            or any(key.lower() == b"origin" for key, _ in scope["headers"])
        ):
            await self._app(scope, receive, send)
            return
        scope["path_template"] = LIVE_PATH  # for the access-log line
        await send({"type": "http.response.start", "status": 200, "headers": list(_HEADERS)})
        await send({"type": "http.response.body", "body": _BODY, "more_body": False})
