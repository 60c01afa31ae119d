"""Who hears what on a live connection, replay after last_event_id, and the slow client, with fakes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID, uuid4

from application.knowledge.live_events import EventVisibility
from domain.identity.principal import Principal
from domain.identity.roles import Permission, Role
from domain.shared.events import Audience, DomainEvent, EventType
from entrypoints.http.live_events import SLOW_CLIENT, UNAUTHORIZED, LiveHub, LiveSession, SessionOptions
from tests.support.identity_fakes import MovableClock

DEADLINE = 30.0


def _event(type_: EventType, audience: Audience) -> DomainEvent:
    return DomainEvent(uuid4(), type_, datetime(2026, 1, 1, tzinfo=UTC), {}, {}, audience)


class Readable:
    """ReadableCollections over a set of (user, collection) memberships; counts the questions."""

    def __init__(self, *members: tuple[UUID, UUID]) -> None:
        self.members = set(members)
        self.asked = 0

    async def readable(
        self, user_id: UUID, collection_ids: frozenset[UUID], *, all_collections: bool
    ) -> frozenset[UUID]:
        self.asked += 1
        return frozenset(c for c in collection_ids if (user_id, c) in self.members)


async def test_members_hear_their_collections_and_the_named_user_hears_their_own_events() -> None:
    reader, stranger, collection = uuid4(), uuid4(), uuid4()
    readable = Readable((reader, collection))
    clock = MovableClock()
    ready = _event(EventType.DOCUMENT_READY, Audience(collection))
    job = _event(EventType.JOB_COMPLETED, Audience(user_ids=frozenset({stranger})))

    as_reader = EventVisibility(Principal(reader, Role.MEMBER), readable, clock, 30)
    as_stranger = EventVisibility(Principal(stranger, Role.MEMBER), readable, clock, 30)
    as_admin = EventVisibility(Principal(uuid4(), Role.ADMIN), readable, clock, 30)
    assert [await as_reader.allows(ready), await as_reader.allows(job)] == [True, False]
    assert [await as_stranger.allows(ready), await as_stranger.allows(job)] == [False, True]
    assert [await as_admin.allows(ready), await as_admin.allows(job)] == [True, True]

    # an API key without assistant:use hears no assistant events, even its own
    keyed = Principal(stranger, Role.MEMBER, api_key_id=uuid4(), scopes=frozenset({Permission.DOCUMENTS_READ}))
    assert not await EventVisibility(keyed, readable, clock, 30).allows(job)


async def test_reads_are_cached_until_a_member_event_names_the_user() -> None:
    user, collection = uuid4(), uuid4()
    readable = Readable()
    visibility = EventVisibility(Principal(user, Role.MEMBER), readable, MovableClock(), 30)
    ready = _event(EventType.DOCUMENT_READY, Audience(collection))
    assert not await visibility.allows(ready)
    assert not await visibility.allows(ready)
    assert readable.asked == 1  # cached

    readable.members.add((user, collection))
    added = _event(EventType.COLLECTION_MEMBER_ADDED, Audience(collection, frozenset({user})))
    assert await visibility.allows(added)  # named: told of it, and the cached "no" is dropped
    assert await visibility.allows(ready)
    assert readable.asked == 2


class Stream:
    """LiveEventStream over a list; positions are "<n>-0"."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, DomainEvent | None]] = []
        self.appended = asyncio.Event()

    def append(self, event: DomainEvent | None) -> None:
        """None: an entry the stream could not read as an event."""
        self.entries.append((f"{len(self.entries) + 1}-0", event))
        self.appended.set()

    async def latest(self) -> str:
        return self.entries[-1][0] if self.entries else "0-0"

    async def position_of(self, event_id: UUID) -> str | None:
        return next((p for p, e in self.entries if e is not None and e.id == event_id), None)

    async def read(self, after: str, *, wait_seconds: float, limit: int) -> list[tuple[str, DomainEvent | None]]:
        start = int(after.split("-", maxsplit=1)[0])
        if start >= len(self.entries) and wait_seconds > 0:
            self.appended.clear()
            try:
                await asyncio.wait_for(self.appended.wait(), wait_seconds)
            except TimeoutError:
                return []
        return self.entries[start : start + limit]


class Socket:
    def __init__(self, *, stalled: bool = False) -> None:
        self.frames: list[dict[str, object]] = []
        self.closed: tuple[int, str] | None = None
        self.unstalled = asyncio.Event()
        if not stalled:
            self.unstalled.set()
        self.gone = asyncio.Event()

    async def send_json(self, data: dict[str, object]) -> None:
        await self.unstalled.wait()
        self.frames.append(data)

    async def receive_text(self) -> str:
        await self.gone.wait()
        raise ConnectionError("client left")

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def event_ids(self) -> list[str]:
        return [str(f["id"]) for f in self.frames if "id" in f]


async def _until(condition: object) -> None:
    async with asyncio.timeout(DEADLINE):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)


async def _valid() -> tuple[int, str] | None:
    return None


def _session(hub: LiveHub, socket: Socket, user: UUID, recheck: object = _valid, beat: float = 60) -> LiveSession:
    visibility = EventVisibility(Principal(user, Role.ADMIN), Readable(), MovableClock(), 30)
    return LiveSession(hub, socket, visibility, SessionOptions(beat), recheck)  # type: ignore[arg-type]


async def test_a_reconnect_replays_what_came_after_its_last_event_then_goes_live_without_duplicates() -> None:
    stream = Stream()
    seen, missed = (_event(EventType.DOCUMENT_READY, Audience(uuid4())) for _ in range(2))
    stream.append(seen)
    stream.append(missed)
    hub = LiveHub(stream, queue_size=10)
    socket = Socket()
    task = asyncio.create_task(_session(hub, socket, uuid4()).run(seen.id))
    await _until(lambda: len(socket.event_ids()) == 1)
    live = _event(EventType.DOCUMENT_DELETED, Audience(uuid4()))
    stream.append(live)
    await _until(lambda: len(socket.event_ids()) == 2)
    assert socket.frames[0] == {"type": "stream.ready"}
    assert socket.event_ids() == [str(missed.id), str(live.id)]

    socket.gone.set()
    await asyncio.wait_for(task, DEADLINE)
    await hub.stop()


async def test_unreadable_entries_are_skipped_in_replay_and_live_and_the_reading_goes_on() -> None:
    stream = Stream()
    seen, missed, live = (_event(EventType.DOCUMENT_READY, Audience(uuid4())) for _ in range(3))
    for entry in (seen, None, missed):
        stream.append(entry)
    hub = LiveHub(stream, queue_size=10)
    socket = Socket()
    task = asyncio.create_task(_session(hub, socket, uuid4()).run(seen.id))
    await _until(lambda: len(socket.event_ids()) == 1)
    stream.append(None)
    stream.append(live)
    await _until(lambda: len(socket.event_ids()) == 2)
    assert socket.event_ids() == [str(missed.id), str(live.id)]
    socket.gone.set()
    await asyncio.wait_for(task, DEADLINE)
    await hub.stop()


async def test_an_unknown_last_event_id_is_reported_as_a_gap() -> None:
    hub = LiveHub(Stream(), queue_size=10)
    socket = Socket()
    task = asyncio.create_task(_session(hub, socket, uuid4()).run(uuid4()))
    await _until(lambda: len(socket.frames) == 2)
    assert socket.frames[1]["type"] == "stream.gap"
    socket.gone.set()
    await asyncio.wait_for(task, DEADLINE)
    await hub.stop()


async def test_a_client_too_slow_for_its_queue_is_closed_with_the_slow_client_code() -> None:
    stream = Stream()
    hub = LiveHub(stream, queue_size=2)
    socket = Socket(stalled=True)
    socket.unstalled.set()  # let "stream.ready" through, then stall every send
    task = asyncio.create_task(_session(hub, socket, uuid4()).run(None))
    await _until(lambda: socket.frames)
    socket.unstalled.clear()
    for _ in range(5):
        stream.append(_event(EventType.DOCUMENT_READY, Audience(uuid4())))
    await asyncio.wait_for(task, DEADLINE)
    assert socket.closed is not None
    assert socket.closed[0] == SLOW_CLIENT
    await hub.stop()


async def test_credentials_no_longer_valid_at_a_heartbeat_close_the_connection() -> None:
    async def revoked() -> tuple[int, str] | None:
        return UNAUTHORIZED, "revoked"

    hub = LiveHub(Stream(), queue_size=2)
    socket = Socket()
    await asyncio.wait_for(_session(hub, socket, uuid4(), revoked, beat=0.01).run(None), DEADLINE)
    assert socket.closed is not None
    assert socket.closed[0] == UNAUTHORIZED
    await hub.stop()


def test_open_connections_are_counted_per_caller_up_to_the_limit() -> None:
    hub = LiveHub(Stream(), queue_size=2)
    assert [hub.admit("user:a", 2) for _ in range(3)] == [True, True, False]
    assert hub.admit("user:b", 2)  # another caller has a count of their own
    hub.leave("user:a")
    assert hub.admit("user:a", 2)
    hub.leave("user:b")
    assert hub.admit("user:b", 1)
