"""The events outbox on Postgres (same transaction, SKIP LOCKED batches) and the live feed on Redis."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from uuid_utils.compat import uuid7

from adapters.persistence.events import SqlEventOutbox, SqlPendingEvents
from adapters.redis.client import create_redis
from adapters.redis.live_events import CLOCK_SKEW_MS, RedisEventStream, RedisLiveFeed, encode
from domain.shared.errors import DependencyUnavailableError
from domain.shared.events import Audience, DomainEvent, EventType
from entrypoints.http.live_events import LiveHub
from tests.support.processes import free_port


def _event(type_: EventType = EventType.DOCUMENT_READY, **data: object) -> DomainEvent:
    collection = uuid4()
    return DomainEvent(
        uuid7(),
        type_,
        datetime.now(UTC),
        {"document_id": str(uuid4()), "collection_id": str(collection)},
        data,
        Audience(collection, frozenset({uuid4()})),
    )


async def test_events_exist_when_their_transaction_commits_and_relays_take_disjoint_batches(
    engine: AsyncEngine,
) -> None:
    async with AsyncSession(engine) as session:
        await SqlEventOutbox(session).record(_event())
        await session.rollback()
    kept = [_event(title=f"doc {n}") for n in range(3)]
    async with AsyncSession(engine) as session:
        for event in kept:
            await SqlEventOutbox(session).record(event)
        await session.commit()

    async with AsyncSession(engine) as first, AsyncSession(engine) as second:
        taken = await SqlPendingEvents(first).due(2)
        assert taken == kept[:2]  # oldest first, audience and data as written
        assert await SqlPendingEvents(second).due(10) == kept[2:]  # the locked ones are skipped, not waited for
        await SqlPendingEvents(first).mark_handed_on([e.id for e in taken], datetime.now(UTC))
        await first.commit()
        await second.rollback()
    async with AsyncSession(engine) as session:
        assert await SqlPendingEvents(session).due(10) == kept[2:]
        # only handed-on events older than the cut go; the one still due stays
        assert await SqlPendingEvents(session).purge(datetime.now(UTC) + timedelta(seconds=1)) == 2
        await session.commit()
        assert await SqlPendingEvents(session).due(10) == kept[2:]


async def test_the_live_feed_appends_in_order_and_is_read_and_found_by_event_id(redis_client: Redis) -> None:
    stream = RedisEventStream(redis_client, key="test:events")
    assert await stream.latest() == "0-0"
    start = await stream.latest()
    events = [_event(EventType.COLLECTION_MEMBER_ADDED, role="viewer") for _ in range(3)]
    await RedisLiveFeed(redis_client, max_length=100, key="test:events").receive(events)

    read = await stream.read(start, wait_seconds=0.1, limit=10)
    assert [event for _, event in read] == events  # payload and audience survive the round trip
    assert await stream.latest() == read[-1][0]
    assert await stream.position_of(events[1].id) == read[1][0]
    assert await stream.position_of(uuid4()) is None
    assert [e for _, e in await stream.read(read[0][0], wait_seconds=0, limit=10)] == events[1:]
    assert await stream.read(read[-1][0], wait_seconds=0.05, limit=10) == []  # nothing new: waits, then nothing


async def test_an_unreadable_entry_is_skipped_and_the_live_feed_goes_on(redis_client: Redis) -> None:
    key = "test:events:unreadable"
    hub = LiveHub(RedisEventStream(redis_client, key=key), queue_size=10)
    subscription = await hub.subscribe()
    try:
        before, after = _event(), _event()
        await RedisLiveFeed(redis_client, max_length=100, key=key).receive([before])
        # what a newer release (an event type this one lacks) or a stray writer could leave in the stream
        newer = json.loads(encode(_event()))
        newer["payload"]["type"] = "document.renamed"
        await redis_client.xadd(key, {"id": str(uuid7()), "event": json.dumps(newer)})
        await redis_client.xadd(key, {"id": "x", "event": "not json"})
        await RedisLiveFeed(redis_client, max_length=100, key=key).receive([after])

        got = [await asyncio.wait_for(subscription.queue.get(), 30) for _ in range(2)]
        assert [event for _, event in got] == [before, after]
        # a replay reads past them too
        stream = RedisEventStream(redis_client, key=key)
        start = await stream.position_of(before.id)
        assert start is not None
        assert [e for _, e in await stream.read(start, wait_seconds=0, limit=10)] == [None, None, after]
    finally:
        hub.unsubscribe(subscription)
        await hub.stop()


class _CountingRedis:
    """The real client, counting the stream entries a position lookup reads."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.entries = 0

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.redis, name)
        if name not in ("xrange", "xrevrange"):
            return found

        async def counted(*args: Any, **kwargs: Any) -> Any:
            entries = await found(*args, **kwargs)
            self.entries += len(entries)
            return entries

        return counted


async def test_looking_up_a_replay_start_reads_a_bounded_number_of_entries_from_the_events_time(
    redis_client: Redis,
) -> None:
    key = "test:events:lookup"
    events = [_event() for _ in range(30)]
    await RedisLiveFeed(redis_client, max_length=1000, key=key).receive(events)
    counting = _CountingRedis(redis_client)
    stream = RedisEventStream(counting, key=key, max_scan=10)  # type: ignore[arg-type]

    assert await stream.position_of(events[3].id) == (await stream.read("0-0", wait_seconds=0, limit=10))[3][0]
    # an unknown id of the stream's time: at most max_scan entries are read, then it is a gap
    counting.entries = 0
    assert await stream.position_of(_uuid7_at((events[0].id.int >> 80) - CLOCK_SKEW_MS)) is None
    assert 0 < counting.entries <= 10
    # one from after the newest entry reads nothing at all
    counting.entries = 0
    assert await stream.position_of(_uuid7_at((events[-1].id.int >> 80) + CLOCK_SKEW_MS + 60_000)) is None
    assert counting.entries == 0
    assert await stream.position_of(uuid4()) is None  # not a UUIDv7: not one of ours


def _uuid7_at(ms: int) -> UUID:
    return UUID(int=(ms << 80) | (0x7 << 76) | (0b10 << 62) | 1)


async def test_the_live_feed_with_redis_down_says_so_as_an_outage() -> None:
    gone = create_redis(f"redis://127.0.0.1:{free_port()}/0")
    try:
        with pytest.raises(DependencyUnavailableError):
            await RedisLiveFeed(gone, max_length=100).receive([_event()])
    finally:
        await gone.aclose()
