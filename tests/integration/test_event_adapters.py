"""The events outbox on Postgres (same transaction, SKIP LOCKED batches) and the live feed on Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from uuid_utils.compat import uuid7

from adapters.persistence.events import SqlEventOutbox, SqlPendingEvents
from adapters.redis.client import create_redis
from adapters.redis.live_events import RedisEventStream, RedisLiveFeed
from domain.shared.errors import DependencyUnavailableError
from domain.shared.events import Audience, DomainEvent, EventType
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


async def test_the_live_feed_with_redis_down_says_so_as_an_outage() -> None:
    gone = create_redis(f"redis://127.0.0.1:{free_port()}/0")
    try:
        with pytest.raises(DependencyUnavailableError):
            await RedisLiveFeed(gone, max_length=100).receive([_event()])
    finally:
        await gone.aclose()
