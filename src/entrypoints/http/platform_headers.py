"""Outer ASGI layer: the client address behind trusted proxies, and the headers every response carries.

It wraps the whole app, so 404s of the router, CORS preflights and errors get the headers too.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.bootstrap.request_context import client_address_var
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.client_address import client_address
from entrypoints.http.rate_limits import Charged, charged_of, limit_header, policy_header

API_PREFIX = "/api/v1"
GRAPHQL_PATH = "/graphql"  # answers with the same personal data as the REST API
# JSON is never a document to render: nothing may load, frame or run from it
_API_CSP = b"default-src 'none'; frame-ancestors 'none'"
# HTML pages (the docs UI, the email-link pages) need their scripts and styles; still never framed
_PAGE_CSP = b"frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
_DROPPED = frozenset({b"server", b"x-powered-by"})


class PlatformHeadersMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self._app = app
        self._networks = settings.trusted_proxy_networks
        self._hsts = hsts_header(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        if self._networks and scope.get("client"):
            address = client_address(scope, self._networks)
            scope["client"] = (address or "unknown", scope["client"][1])  # type: ignore[index]
        client = scope.get("client")
        token = client_address_var.set(client[0] if client else None)
        try:
            await self._serve(scope, receive, send)
        finally:
            client_address_var.reset(token)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        is_api = scope["path"].startswith(API_PREFIX) or scope["path"] == GRAPHQL_PATH

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._headers(scope, list(message.get("headers", [])), is_api=is_api)
            await send(message)

        await self._app(scope, receive, send_with_headers)

    def _headers(self, scope: Scope, raw: list[tuple[bytes, bytes]], *, is_api: bool) -> list[tuple[bytes, bytes]]:
        return with_platform_headers(raw, is_api=is_api, hsts=self._hsts, charged=charged_of(scope))


def hsts_header(settings: Settings) -> tuple[bytes, bytes] | None:
    if not settings.hsts_enabled:
        return None
    return (b"strict-transport-security", f"max-age={settings.hsts_max_age_seconds}; includeSubDomains".encode())


def with_platform_headers(
    raw: list[tuple[bytes, bytes]], *, is_api: bool, hsts: tuple[bytes, bytes] | None, charged: Charged | None
) -> list[tuple[bytes, bytes]]:
    """A response's headers plus the ones every response carries (also used to precompute the probe's)."""
    headers = [(k, v) for k, v in raw if k.lower() not in _DROPPED]
    names = {k.lower() for k, _ in headers}
    content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    headers.extend((name, value) for name, value in _ALWAYS if name not in names)  # a page may set its own
    if b"content-security-policy" not in names:
        headers.append((b"content-security-policy", _PAGE_CSP if content_type.startswith(b"text/html") else _API_CSP))
    if is_api and b"cache-control" not in names:
        headers.append((b"cache-control", b"no-store"))  # tokens, keys and personal data stay off disks
    if hsts:
        headers.append(hsts)
    if charged is not None:
        headers.append((b"ratelimit-policy", policy_header(charged.policy).encode()))
        headers.append((b"ratelimit", limit_header(charged).encode()))
    return headers
