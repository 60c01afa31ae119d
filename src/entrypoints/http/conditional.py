"""Conditional requests on single resources: a strong ``ETag`` on GET, ``If-None-Match`` -> 304, and
``If-Match`` on PATCH -> 412 ``PRECONDITION_FAILED`` when the resource changed since the client read it.

The ETag hashes the exact JSON representation, before compression. For ``If-Match`` the layer reads the
current representation (an internal GET with the caller's credentials) and compares; the check and the
write are not one transaction, so two writers that both pass within the same instant are not told apart.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPRequestEvent, Message, Receive, Scope, Send

from entrypoints.http.request_id import request_id_from_scope
from entrypoints.http.schemas import ErrorBody, ErrorEnvelope

_RESOURCE = re.compile(r"^/api/v1/(collections|documents|users)/[^/]+$")


def is_conditional(path: str) -> bool:
    """Single resources whose GET carries an ETag and whose PATCH honours If-Match (also for path templates)."""
    return _RESOURCE.match(path) is not None


_SKIPPED_FOR_READ = frozenset({b"if-match", b"if-none-match", b"content-type", b"content-length", b"accept-encoding"})


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _matches(condition: str, etag: str, *, weak: bool) -> bool:
    tags = [tag.strip() for tag in condition.split(",")]
    if "*" in tags:
        return True
    if weak:  # If-None-Match compares weakly (RFC 9110 13.1.2)
        tags = [tag.removeprefix("W/") for tag in tags]
    return etag in tags


async def _read(app: ASGIApp, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Runs ``app`` for ``scope`` and returns its whole response."""
    status, headers, chunks = 500, [], []

    async def receive() -> HTTPRequestEvent:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def capture(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    return status, headers, b"".join(chunks)


class ConditionalRequestsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not is_conditional(scope["path"]):
            await self._app(scope, receive, send)
            return
        if scope["method"] == "GET":
            await self._get(scope, receive, send)
            return
        condition = _header(scope, b"if-match")
        if scope["method"] == "PATCH" and condition is not None and not await self._current_matches(scope, condition):
            await _precondition_failed(scope, send)
            return
        await self._app(scope, receive, send)

    async def _get(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, headers, body = await _read(self._app, scope)
        if status == 200:
            etag = etag_of(body)
            headers = [(k, v) for k, v in headers if k.lower() != b"etag"] + [(b"etag", etag.encode())]
            if not scope["path"].startswith("/api/v1/users/"):  # accounts stay no-store (personal data)
                headers.append((b"cache-control", b"private, no-cache"))
            condition = _header(scope, b"if-none-match")
            if condition is not None and _matches(condition, etag, weak=True):
                kept = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"content-type")]
                await send({"type": "http.response.start", "status": 304, "headers": kept})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _current_matches(self, scope: Scope, condition: str) -> bool:
        read_scope = {
            **scope,
            "method": "GET",
            "headers": [(k, v) for k, v in scope.get("headers", []) if k.lower() not in _SKIPPED_FOR_READ],
            "state": {"request_id": request_id_from_scope(scope)},
        }
        status, _, body = await _read(self._app, read_scope)  # type: ignore[arg-type]
        if status != 200:
            return True  # let the PATCH itself answer 401/403/404
        return _matches(condition, etag_of(body), weak=False)


async def _precondition_failed(scope: Scope, send: Send) -> None:
    body = msgspec.json.encode(
        ErrorEnvelope(
            error=ErrorBody(
                code="PRECONDITION_FAILED",
                message="The resource changed since it was read; fetch it again and retry with its new ETag.",
                request_id=request_id_from_scope(scope),
                timestamp=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            )
        )
    )
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 412, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
