"""RelayReply: the reply is stored with the status its stream earned, whether or not anyone listened."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from application.assistant.answer import Answer, AnswerDelta, AnswerEvent, Question
from application.assistant.conversations import PendingReply, RelayReply, ReplyEnd, ReplyStreamEndedError
from application.assistant.ports import ProviderError
from application.knowledge.search import Retrieval
from domain.assistant.models import Conversation, MessageStatus, StoredMessage, TurnRole, Usage
from domain.knowledge.models import SearchMode

NOW = datetime(2030, 1, 1, tzinfo=UTC)
ANSWER = Answer("Twenty days.", [], Usage(5, 2), "openai", "m", False, Retrieval(SearchMode.HYBRID, SearchMode.HYBRID))
PENDING = PendingReply(
    Conversation(uuid4(), uuid4(), "t", None, NOW, NOW), Question("How many days?"), reply_id=uuid4()
)


class RecordingArchive:
    def __init__(self) -> None:
        self.saved: list[StoredMessage] = []

    async def save(
        self, pending: PendingReply, *, answer: Answer | None, partial_text: str, status: MessageStatus
    ) -> StoredMessage:
        content = answer.text if answer else partial_text
        message = StoredMessage(pending.reply_id, pending.conversation.id, TurnRole.ASSISTANT, content, NOW, status)
        self.saved.append(message)
        return message


async def _events(*items: AnswerEvent | Exception) -> AsyncIterator[AnswerEvent]:
    for item in items:
        if isinstance(item, Exception):
            raise item
        yield item


async def _relay(*items: AnswerEvent | Exception) -> tuple[list[AnswerDelta | ReplyEnd], RecordingArchive]:
    archive = RecordingArchive()
    relayed = [event async for event in RelayReply(archive).execute(PENDING, _events(*items))]
    return relayed, archive


async def test_a_finished_stream_is_stored_complete_and_ends_with_the_answer() -> None:
    relayed, archive = await _relay(AnswerDelta("Twenty "), AnswerDelta("days."), ANSWER)
    assert relayed[:2] == [AnswerDelta("Twenty "), AnswerDelta("days.")]
    assert relayed[-1] == ReplyEnd(archive.saved[0], ANSWER)
    assert (archive.saved[0].status, archive.saved[0].content) == (MessageStatus.COMPLETE, "Twenty days.")


async def test_a_stream_broken_after_tokens_keeps_the_partial_text() -> None:
    broken = ProviderError("openai", "malformed", retryable=True)
    relayed, archive = await _relay(AnswerDelta("Twenty "), broken)
    assert relayed[-1] == ReplyEnd(archive.saved[0], broken)
    assert (archive.saved[0].status, archive.saved[0].content) == (MessageStatus.INCOMPLETE, "Twenty ")


async def test_a_stream_that_gave_nothing_is_stored_failed() -> None:
    relayed, archive = await _relay()
    end = relayed[-1]
    assert isinstance(end, ReplyEnd)
    assert isinstance(end.outcome, ReplyStreamEndedError)
    assert archive.saved[0].status is MessageStatus.FAILED


async def test_a_cancelled_relay_still_stores_what_was_said() -> None:
    archive = RecordingArchive()
    first_token = asyncio.Event()

    async def slow() -> AsyncIterator[AnswerEvent]:
        yield AnswerDelta("Twenty ")
        first_token.set()
        await asyncio.Event().wait()  # never finishes: the app shuts down
        yield ANSWER

    async def consume() -> None:
        async for _ in RelayReply(archive).execute(PENDING, slow()):
            pass

    task = asyncio.create_task(consume())
    await first_token.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [(m.status, m.content) for m in archive.saved] == [(MessageStatus.INCOMPLETE, "Twenty ")]
