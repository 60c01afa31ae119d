"""The event stream with fakes: emitted in the change's transaction, handed on once committed, in order."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from application.shared.event_stream import PurgeEvents
from domain.knowledge.models import CollectionRole
from domain.shared.events import Audience, EventType
from tests.support.event_fakes import InMemoryPendingEvents, RecordingSubscriber, emitter_on
from tests.support.identity_fakes import MovableClock, SequentialIds
from tests.support.knowledge_fakes import KnowledgeTables
from tests.unit.knowledge_world import KnowledgeWorld, member

TEXT = " ".join(f"word{n}" for n in range(20))


async def test_an_ingested_document_is_announced_ready_to_its_collection_once_committed() -> None:
    world = KnowledgeWorld()
    editor = member()
    collection_id = world.collection((editor, CollectionRole.EDITOR))
    document = await world.add_text(editor, collection_id, TEXT)
    (job,) = world.tables.durable()["jobs"].values()

    await world.ingest.execute(job.id)

    (event,) = world.subscriber.received  # handed on right after the commit
    assert event.type is EventType.DOCUMENT_READY
    assert event.subject == {"document_id": str(document.id), "collection_id": str(collection_id)}
    assert event.data == {"title": "Handbook", "status": "ready", "chunk_count": 3}
    assert event.audience == Audience(collection_id=collection_id)
    assert set(world.tables.durable()["handed_on"]) == {event.id}
    assert TEXT not in str(event.payload())  # never the document's text


async def test_a_permanent_ingestion_failure_is_announced_with_its_stage() -> None:
    world = KnowledgeWorld()
    editor = member()
    await world.add_text(editor, world.collection((editor, CollectionRole.EDITOR)), "BROKEN bytes")
    (job,) = world.tables.durable()["jobs"].values()
    await world.ingest.execute(job.id)
    (event,) = world.subscriber.received
    assert event.type is EventType.DOCUMENT_FAILED
    assert (event.data["error_stage"], event.data["status"]) == ("extract", "failed")


async def test_events_rolled_back_with_their_change_are_never_handed_on() -> None:
    tables, clock = KnowledgeTables(), MovableClock()
    subscriber = RecordingSubscriber()
    events, relay = emitter_on(tables, SequentialIds(), clock, subscriber)
    await events.emit(EventType.DOCUMENT_DELETED, subject={"document_id": uuid4()}, audience=Audience(uuid4()))
    await tables.rollback()
    await relay.execute()
    assert subscriber.received == []


async def test_the_relay_hands_every_subscriber_the_events_in_order_in_batches() -> None:
    tables, clock = KnowledgeTables(), MovableClock()
    first, second = RecordingSubscriber(), RecordingSubscriber()
    events, relay = emitter_on(tables, SequentialIds(), clock, first, second, batch_size=2)
    emitted = [
        await events.emit(EventType.JOB_COMPLETED, subject={"job_id": n}, audience=Audience(user_ids=frozenset()))
        for n in range(5)
    ]
    await tables.commit()

    assert await relay.execute() == 5
    assert first.received == second.received == emitted
    assert await relay.execute() == 0  # handed on once
    assert first.received == emitted


async def test_a_failing_subscriber_leaves_the_batch_due_and_try_now_never_raises() -> None:
    tables, clock = KnowledgeTables(), MovableClock()
    down = RecordingSubscriber(fail=True)
    events, relay = emitter_on(tables, SequentialIds(), clock, down)
    await events.emit(EventType.DOCUMENT_DELETED, subject={}, audience=Audience(uuid4()))
    await tables.commit()

    await events.hand_on()  # best effort: logs, does not raise
    with pytest.raises(RuntimeError):
        await relay.execute()
    assert tables.durable()["handed_on"] == {}
    down.fail = False
    assert await relay.execute() == 1
    assert len(down.received) == 1


async def test_hand_on_without_anything_emitted_asks_nothing() -> None:
    tables, clock = KnowledgeTables(), MovableClock()
    subscriber = RecordingSubscriber(fail=True)
    events, _ = emitter_on(tables, SequentialIds(), clock, subscriber)
    await events.hand_on()  # would log a failure if it relayed
    assert tables.rollbacks == 0


async def test_handed_on_events_are_purged_after_the_retention_only() -> None:
    tables, clock = KnowledgeTables(), MovableClock()
    events, relay = emitter_on(tables, SequentialIds(), clock, RecordingSubscriber())
    old = await events.emit(EventType.DOCUMENT_DELETED, subject={}, audience=Audience(uuid4()))
    await tables.commit()
    await relay.execute()
    clock.advance(timedelta(days=8))
    waiting = await events.emit(EventType.DOCUMENT_DELETED, subject={}, audience=Audience(uuid4()))
    await tables.commit()

    assert await PurgeEvents(InMemoryPendingEvents(tables), tables, clock, retention_days=7).execute() == 1
    assert set(tables.durable()["events"]) == {waiting.id}
    assert old.id not in tables.durable()["handed_on"]
