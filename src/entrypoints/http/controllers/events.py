"""GET /api/v1/events (WebSocket): the events the caller may see, live, with replay after ``last_event_id``.

Credentials come as a subprotocol (``lore.bearer.<token>``, beside ``lore.events.v1``), an ``Authorization``
header (non-browser clients), or a first message ``{"type": "auth", "token": ...}`` — never in the query
string, which proxies and access logs keep.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from dishka import AsyncContainer
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from application.identity.authenticate import Authenticate
from application.knowledge.live_events import EventVisibility
from application.knowledge.ports import ReadableCollections
from application.shared.ports import Clock
from domain.identity.principal import Principal
from domain.shared.errors import DomainError, RateLimitedError
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.live_events import (
    BAD_REQUEST,
    FORBIDDEN,
    INTERNAL_ERROR,
    TRY_AGAIN_LATER,
    UNAUTHORIZED,
    LiveHub,
    LiveSession,
    SessionOptions,
)
from entrypoints.http.permission_table import WEBSOCKETS
from entrypoints.http.rate_limits import charge, policy_for

logger = logging.getLogger("lore.events")

PROTOCOL = "lore.events.v1"
BEARER_PREFIX = "lore.bearer."
FIRST_MESSAGE_SECONDS = 10.0
EVENTS_PATH = "/api/v1/events"


class _ScopedReadableCollections:
    """Asks the database in a unit of work of its own each time: a connection must not hold a session open."""

    def __init__(self, container: AsyncContainer) -> None:
        self._container = container

    async def readable(
        self, user_id: UUID, collection_ids: frozenset[UUID], *, all_collections: bool
    ) -> frozenset[UUID]:
        async with self._container() as scope:
            readable: ReadableCollections = await scope.get(ReadableCollections)
            return await readable.readable(user_id, collection_ids, all_collections=all_collections)


class _Frames:
    """The socket as LiveSession sees it: closing one the client already left is not an error."""

    def __init__(self, socket: WebSocket[Any, Any, Any]) -> None:
        self._socket = socket

    async def send_json(self, data: dict[str, object]) -> None:
        await self._socket.send_json(data)

    async def receive_text(self) -> str:
        return await self._socket.receive_text()

    async def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self._socket.close(code, reason)


async def _authenticate(container: AsyncContainer, credential: str) -> Principal | None:
    try:
        async with container() as scope:
            return await (await scope.get(Authenticate)).execute(credential)
    except DomainError:
        return None


def _rights(principal: Principal) -> tuple[object, ...]:
    """What the visibility filter judges by: role, an API key's scopes, and the MFA-enrolment block."""
    return principal.user_id, principal.role, principal.scopes, principal.mfa_enrolment_required


async def _recheck(container: AsyncContainer, credential: str, connected_as: Principal) -> tuple[int, str] | None:
    """At each heartbeat: why the connection must close, if it must.

    The connection's filter keeps the rights it connected with, so any change (a demotion, a promotion, an
    admin made to enrol in MFA) closes it: the client reconnects and is judged afresh.
    """
    fresh = await _authenticate(container, credential)
    if fresh is None:
        return UNAUTHORIZED, "the credentials are no longer valid"
    if _rights(fresh) == _rights(connected_as):
        return None
    try:
        WEBSOCKETS[EVENTS_PATH].check(fresh)
    except DomainError as exc:
        return FORBIDDEN, str(exc)[:120]
    return UNAUTHORIZED, "the credentials' rights changed: reconnect"


def _offered(socket: WebSocket[Any, Any, Any]) -> tuple[list[str], str | None]:
    protocols = [str(p) for p in socket.scope.get("subprotocols") or []]
    token = next((p[len(BEARER_PREFIX) :] for p in protocols if p.startswith(BEARER_PREFIX)), None)
    if token is None:
        scheme, _, credential = (socket.headers.get("authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and credential.strip():
            token = credential.strip()
    return protocols, token


def _event_id(raw: object) -> UUID | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise ValueError("last_event_id must be a string")
    return UUID(raw)


async def _first_message(socket: WebSocket[Any, Any, Any]) -> dict[str, Any]:
    text = await asyncio.wait_for(socket.receive_text(), timeout=FIRST_MESSAGE_SECONDS)
    message = json.loads(text)
    if not isinstance(message, dict) or message.get("type") != "auth" or not isinstance(message.get("token"), str):
        raise ValueError('the first message must be {"type": "auth", "token": "..."}')
    return message


@dataclass(frozen=True, slots=True)
class _Admitted:
    principal: Principal
    credential: str
    last_event_id: UUID | None


async def _admit(socket: WebSocket[Any, Any, Any], token: str | None, frames: _Frames) -> _Admitted | None:
    """The handshake after accept: the credentials and the rule; None once the socket is closed."""
    try:
        last_event_id = _event_id(socket.query_params.get("last_event_id"))
        if token is None:
            message = await _first_message(socket)
            token = message["token"]
            last_event_id = _event_id(message.get("last_event_id")) or last_event_id
    except TimeoutError:
        await frames.close(UNAUTHORIZED, "no credentials")
        return None
    except ValueError as exc:  # json.JSONDecodeError and a malformed UUID are ValueErrors too
        await frames.close(BAD_REQUEST, str(exc)[:120])
        return None
    except Exception:  # noqa: BLE001 - the client left before saying anything
        return None
    principal = await _authenticate(socket.state.dishka_container, token)
    if principal is None:
        await frames.close(UNAUTHORIZED, "invalid or expired credentials")
        return None
    try:
        WEBSOCKETS[EVENTS_PATH].check(principal)
    except DomainError as exc:
        await frames.close(FORBIDDEN, str(exc)[:120])
        return None
    return _Admitted(principal, token, last_event_id)


@websocket(EVENTS_PATH)
async def events_socket(socket: WebSocket[Any, Any, Any]) -> None:
    settings: Settings = socket.app.state.settings
    hub: LiveHub = socket.app.state.live_hub
    container: AsyncContainer = socket.state.dishka_container
    protocols, token = _offered(socket)
    await socket.accept(subprotocols=PROTOCOL if PROTOCOL in protocols else None)
    frames = _Frames(socket)
    try:  # each handshake costs a read from the address's bucket: idle sockets and credential guesses are limited
        await charge(socket, policy_for(settings, "GET", EVENTS_PATH), None)
    except RateLimitedError as exc:
        await frames.close(TRY_AGAIN_LATER, f"too many connections; try again in {exc.retry_after_seconds} s")
        return
    admitted = await _admit(socket, token, frames)
    if admitted is None:
        return
    principal = admitted.principal
    caller = f"key:{principal.api_key_id}" if principal.api_key_id else f"user:{principal.user_id}"
    if not hub.admit(caller, settings.live_events_max_connections):
        await frames.close(TRY_AGAIN_LATER, "too many open connections for these credentials")
        return

    async def recheck() -> tuple[int, str] | None:
        return await _recheck(container, admitted.credential, principal)

    try:  # from here on the connection counts as open until it ends, however it ends
        visibility = EventVisibility(
            principal,
            _ScopedReadableCollections(container),
            await container.get(Clock),
            settings.live_events_access_cache_seconds,
        )
        options = SessionOptions(settings.live_events_heartbeat_seconds)
        await LiveSession(hub, frames, visibility, options, recheck).run(admitted.last_event_id)
    except WebSocketDisconnect:
        return  # the client left while a frame was on its way
    except Exception:
        logger.warning("live event connection failed", exc_info=True)
        await frames.close(INTERNAL_ERROR, "internal error")
    finally:
        hub.leave(caller)
