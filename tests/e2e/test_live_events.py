"""GET /api/v1/events over real WebSockets, across two API processes sharing Redis.

`lore dev` (API + worker) takes the upload and ingests it; a client connected to a separate `lore serve`
hears document.ready — the event crossed processes through the Redis stream. A non-member hears nothing of
the collection until added, a reconnect with last_event_id is replayed what it missed, and bad or
insufficient credentials are refused with the documented close codes.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
from redis.asyncio import Redis
from uuid_utils.compat import uuid7
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from adapters.redis.live_events import RedisLiveFeed
from domain.identity.roles import Role
from domain.shared.events import Audience, DomainEvent, EventType
from entrypoints.bootstrap.settings import Settings
from tests.support.api import PASSWORD, Account, Client, create_user, signed_in
from tests.support.processes import LoreProcess, free_port, serving, stores_env

DEADLINE = 60.0
PROTOCOL = "lore.events.v1"
QUEUE_SIZE = 8  # per connection on the second process: enough for the tests that read, soon full for one that does not
# the second process's read limit, which also bounds WebSocket handshakes per address: above what the other
# tests open from 127.0.0.1 in a window; the rate-limit test connects from an address of its own
HANDSHAKES = 30
MAX_CONNECTIONS = 3  # per user on the second process


@contextmanager
def _dev(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    process = LoreProcess(env, "dev", "--port", str(port))
    try:
        process.wait_ready(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        assert process.stop(signal.SIGTERM) == 0, process.stderr


@pytest.fixture(scope="module")
def two_apis(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    tmp_path = tmp_path_factory.mktemp("live")
    # a short heartbeat, so the test also sees one
    beat, queue = "1", str(QUEUE_SIZE)
    with (
        _dev(stores_env(settings, tmp_path / "a", LIVE_EVENTS_HEARTBEAT_SECONDS=beat)) as with_worker,
        serving(
            stores_env(
                settings,
                tmp_path / "b",
                LIVE_EVENTS_HEARTBEAT_SECONDS=beat,
                LIVE_EVENTS_QUEUE_SIZE=queue,
                LIVE_EVENTS_MAX_CONNECTIONS=str(MAX_CONNECTIONS),
                RATE_LIMIT_READ=str(HANDSHAKES),
            )
        ) as (_, other),
    ):
        yield with_worker, other


async def _signed_in_at(client: Client, base: str, email: str, role: Role = Role.MEMBER) -> Account:
    """Signed in through the process at ``base``: each test's in-process app makes a fresh signing key (the
    tables are emptied between tests), which another process only learns at its next key refresh."""
    user_id = await create_user(client, email, role)
    async with httpx.AsyncClient(base_url=base, timeout=DEADLINE) as http:
        response = await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return Account(user_id, email, data["access_token"], data["refresh_token"])


def _protocols(token: str) -> list[Subprotocol]:
    return [Subprotocol(PROTOCOL), Subprotocol(f"lore.bearer.{token}")]


def _ws(base: str) -> str:
    return base.replace("http://", "ws://") + "/api/v1/events"


async def _open(base: str, token: str, *, last_event_id: str | None = None) -> ClientConnection:
    url = _ws(base) + (f"?last_event_id={last_event_id}" if last_event_id else "")
    socket = await connect(url, subprotocols=_protocols(token), open_timeout=DEADLINE)
    assert socket.subprotocol == PROTOCOL  # the token is never echoed back
    assert await _frame(socket) == {"type": "stream.ready"}
    return socket


async def _frame(socket: ClientConnection) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), DEADLINE))
    return frame


async def _next_event(socket: ClientConnection) -> dict[str, Any]:
    """The next event frame, past heartbeats."""
    async with asyncio.timeout(DEADLINE):
        while (frame := await _frame(socket))["type"].startswith("stream."):
            assert frame["type"] == "stream.heartbeat", frame
    return frame


async def _close_code(socket: ClientConnection) -> int | None:
    async with asyncio.timeout(DEADLINE):
        try:
            while True:
                await socket.recv()
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


async def test_an_upload_on_one_process_reaches_a_reader_connected_to_another(
    client: Client, two_apis: tuple[str, str]
) -> None:
    with_worker, other = two_apis
    editor = await signed_in(client, "editor@example.org", Role.EDITOR)
    outsider = await signed_in(client, "outsider@example.org")
    async with httpx.AsyncClient(base_url=with_worker, timeout=DEADLINE) as http:
        created = await http.post("/api/v1/collections", json={"name": "Handbook"}, headers=editor.headers)
        collection_id = created.json()["data"]["id"]

        reader = await _open(other, editor.access_token)
        # the first-message way (no subprotocol), as a client that cannot set one would
        stranger = await connect(_ws(other), open_timeout=DEADLINE)
        await stranger.send(json.dumps({"type": "auth", "token": outsider.access_token}))
        assert await _frame(stranger) == {"type": "stream.ready"}

        upload = await http.post(
            f"/api/v1/collections/{collection_id}/documents",
            json={"title": "Leave policy", "content": "Everyone gets twenty-five days of leave."},
            headers=editor.headers,
        )
        assert upload.status_code == 202, upload.text
        document_id = upload.json()["data"]["id"]

        ready = await _next_event(reader)
        assert ready["type"] == "document.ready"
        assert ready["subject"] == {"document_id": document_id, "collection_id": collection_id}
        assert ready["data"]["title"] == "Leave policy"
        assert "twenty-five" not in json.dumps(ready)

        added = await http.put(
            f"/api/v1/collections/{collection_id}/members/{outsider.id}",
            json={"role": "viewer"},
            headers=editor.headers,
        )
        assert added.status_code in (200, 201), added.text
        # the outsider's first event is being added: it never heard of the document before
        joined = await _next_event(stranger)
        assert (joined["type"], joined["subject"]["user_id"]) == ("collection.member.added", outsider.id)
        assert (await _next_event(reader))["id"] == joined["id"]
        await reader.close()
        await stranger.close()

    # reconnecting after document.ready replays what came after it
    again = await _open(other, editor.access_token, last_event_id=ready["id"])
    assert (await _next_event(again))["id"] == joined["id"]
    await again.close()


async def test_bad_or_insufficient_credentials_are_refused_with_their_close_codes(
    client: Client, two_apis: tuple[str, str]
) -> None:
    _, other = two_apis
    nobody = await connect(_ws(other), subprotocols=_protocols("not-a-token"), open_timeout=DEADLINE)
    assert await _close_code(nobody) == 4401

    member = await _signed_in_at(client, other, "member@example.org")
    async with httpx.AsyncClient(base_url=other, timeout=DEADLINE) as http:
        key = await http.post(
            "/api/v1/api-keys", json={"name": "bot", "scopes": ["assistant:use"]}, headers=member.headers
        )
    assert key.status_code == 201, key.text
    unscoped = await connect(
        _ws(other),
        subprotocols=_protocols(key.json()["data"]["secret"]),
        open_timeout=DEADLINE,
    )
    assert await _close_code(unscoped) == 4403

    # a non-browser client may send the header instead; the same member's session is let in
    with_header = await connect(_ws(other), additional_headers=member.headers, open_timeout=DEADLINE)
    assert await _frame(with_header) == {"type": "stream.ready"}
    await with_header.close()

    garbled = await connect(_ws(other), open_timeout=DEADLINE)
    await garbled.send("not json")
    assert await _close_code(garbled) == 4400


async def test_a_client_that_stops_reading_is_dropped_with_the_slow_client_code(
    client: Client, two_apis: tuple[str, str], redis_client: Redis
) -> None:
    _, other = two_apis
    reader = await _signed_in_at(client, other, "slow@example.org")
    # a tiny receive buffer and frame queue, so the server's sends back up after a few frames
    sock = socket.create_connection(("127.0.0.1", int(other.rsplit(":", 1)[1])))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow = await connect(
        _ws(other), sock=sock, subprotocols=_protocols(reader.access_token), max_queue=1, open_timeout=DEADLINE
    )
    assert await _frame(slow) == {"type": "stream.ready"}

    # events for this reader alone, written to the live feed as the relay would; then the client reads again
    pad = "x" * 16_000
    audience = Audience(user_ids=frozenset({UUID(reader.id)}))
    # ~9.6 MB: more than the kernel's and the transport's buffers hold (tcp_wmem's maximum is 4 MiB here)
    flood = [
        DomainEvent(uuid7(), EventType.JOB_COMPLETED, datetime.now(UTC), {}, {"pad": pad}, audience) for _ in range(600)
    ]
    await RedisLiveFeed(redis_client, max_length=10_000).receive(flood)
    assert await _close_code(slow) == 4429


async def test_a_connection_whose_rights_change_is_closed_at_the_next_heartbeat(
    client: Client, two_apis: tuple[str, str]
) -> None:
    _, other = two_apis
    root = await _signed_in_at(client, other, "root@example.org", Role.ADMIN)
    demoted = await _signed_in_at(client, other, "was-admin@example.org", Role.ADMIN)
    watching = await _open(other, demoted.access_token)
    # still valid, same rights: heartbeats go on
    assert (await _frame(watching))["type"] == "stream.heartbeat"

    async with httpx.AsyncClient(base_url=other, timeout=DEADLINE) as http:
        changed = await http.patch(f"/api/v1/users/{demoted.id}", json={"role": "member"}, headers=root.headers)
    assert changed.is_success, changed.text
    # the filter judged as an admin (every event): the connection ends, the reconnect is judged as a member
    assert await _close_code(watching) == 4401
    again = await _open(other, demoted.access_token)
    await again.close()


async def test_handshakes_are_rate_limited_per_address_and_open_connections_capped_per_user(
    client: Client, two_apis: tuple[str, str]
) -> None:
    _, other = two_apis
    port = int(other.rsplit(":", 1)[1])
    codes: list[int | None] = []
    # guessing credentials from an address of its own (all of 127/8 is loopback): each try costs one handshake
    for _ in range(2 * HANDSHAKES + 1):  # twice: a window may roll over once during the loop
        sock = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.3", 0))
        guess = await connect(_ws(other), sock=sock, subprotocols=_protocols("guess"), open_timeout=DEADLINE)
        codes.append(await _close_code(guess))
        if codes[-1] != 4401:
            break
    assert codes[-1] == 1013, codes  # try again later
    assert set(codes[:-1]) == {4401}

    user = await _signed_in_at(client, other, "many-tabs@example.org")
    tabs = [await _open(other, user.access_token) for _ in range(MAX_CONNECTIONS)]
    one_more = await connect(_ws(other), subprotocols=_protocols(user.access_token), open_timeout=DEADLINE)
    assert await _close_code(one_more) == 1013
    await tabs.pop().close()

    async def reopened() -> ClientConnection:  # the server counts the closed tab out once it has seen it go
        while True:
            attempt = await connect(_ws(other), subprotocols=_protocols(user.access_token), open_timeout=DEADLINE)
            try:
                if await _frame(attempt) == {"type": "stream.ready"}:
                    return attempt
            except ConnectionClosed:
                await asyncio.sleep(0.1)

    tabs.append(await asyncio.wait_for(reopened(), DEADLINE))
    for tab in tabs:
        await tab.close()
