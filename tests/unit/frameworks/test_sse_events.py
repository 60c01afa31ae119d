"""The one SSE wire format: deltas, then exactly one last event with ``done: true``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from application.assistant.answer import Answer, AnswerDelta
from application.assistant.conversations import ReplyEnd
from application.knowledge.search import Retrieval
from domain.assistant.errors import AllProvidersFailedError
from domain.assistant.models import MessageStatus, StoredMessage, TurnRole, Usage
from domain.knowledge.models import SearchMode
from entrypoints.http.sse import answer_events

ANSWER = Answer("Hi.", [], Usage(3, 1), "openai", "m", False, Retrieval(SearchMode.HYBRID, SearchMode.HYBRID))
REPLY = StoredMessage(uuid4(), uuid4(), TurnRole.ASSISTANT, "Hi.", datetime(2030, 1, 1, tzinfo=UTC))


async def _lines(*items: AnswerDelta | Answer | ReplyEnd | Exception) -> list[dict[str, object]]:
    async def events() -> AsyncIterator[AnswerDelta | Answer | ReplyEnd]:
        for item in items:
            if isinstance(item, Exception):
                raise item
            yield item

    return [json.loads(line) async for line in answer_events(events())]


async def test_an_answer_ends_with_its_metadata_and_no_message_id() -> None:
    lines = await _lines(AnswerDelta("Hi."), ANSWER)
    assert lines[0] == {"content": "Hi.", "done": False}
    assert lines[1] == {
        "done": True,
        "citations": [],
        "model": "m",
        "provider": "openai",
        "usage": {"input_tokens": 3, "output_tokens": 1},
        "cached": False,
        "retrieval": {"mode": "hybrid", "requested_mode": "hybrid", "degraded": None, "reranked": False},
    }


async def test_a_reply_ends_with_the_same_event_plus_its_message_id() -> None:
    plain = (await _lines(ANSWER))[-1]
    reply = (await _lines(ReplyEnd(REPLY, ANSWER)))[-1]
    assert reply == {**plain, "message_id": str(REPLY.id)}


@pytest.mark.parametrize(
    ("failure", "code"),
    [(AllProvidersFailedError(), "LLM_UNAVAILABLE"), (RuntimeError("bug"), "STREAM_FAILED")],
)
async def test_an_error_after_the_start_is_the_last_event(failure: Exception, code: str) -> None:
    lines = await _lines(AnswerDelta("Hi"), failure)
    last = lines[-1]
    assert set(last) == {"error", "done"}
    assert last["done"] is True
    error = last["error"]
    assert isinstance(error, dict)
    assert error["code"] == code
    stored = (await _lines(ReplyEnd(replace(REPLY, status=MessageStatus.INCOMPLETE), failure)))[-1]
    assert stored == {**last, "message_id": str(REPLY.id)}
