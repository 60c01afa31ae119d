"""The one Server-Sent Events wire format of /ask and conversation replies.

Each event is ``data: {json}``: ``{"content": "...", "done": false}`` per delta, then exactly one last
event with ``"done": true``, either the answer's metadata (everything ``/ask`` returns as JSON but the
text) or ``{"error": {code, message}}`` when the stream broke after it started. A conversation reply's
last event also carries ``message_id``, the stored reply (complete, incomplete or failed).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar.response import ServerSentEvent

from application.assistant.answer import Answer, AnswerDelta
from application.assistant.conversations import ReplyEnd
from application.assistant.ports import ProviderError
from domain.shared.errors import DomainError
from entrypoints.http.assistant_schemas import AnswerOut

logger = logging.getLogger("lore.assistant")


def _event(payload: dict[str, Any]) -> str:
    return msgspec.json.encode(payload).decode()


def _done(answer: Answer, extra: dict[str, Any]) -> str:
    out = msgspec.to_builtins(AnswerOut.of(answer))
    del out["answer"]  # the text came as deltas
    return _event({"done": True, **out, **extra})


def _error(exc: Exception, extra: dict[str, Any]) -> str:
    return _event({"error": stream_error(exc), "done": True, **extra})


def stream_error(exc: Exception) -> dict[str, str]:
    """The ``error`` of the event that ends a stream which broke after it started."""
    if isinstance(exc, DomainError):
        return {"code": exc.code, "message": exc.message}
    if isinstance(exc, ProviderError):
        # tokens were already sent, so there is no failover: say the answer is incomplete
        logger.warning("model stream broke off", exc_info=exc)
        return {"code": "LLM_STREAM_FAILED", "message": "The model stopped mid-answer; the answer is incomplete."}
    logger.error("stream failed", exc_info=exc)
    return {"code": "STREAM_FAILED", "message": "The answer stream was interrupted."}


async def answer_events(events: AsyncIterator[AnswerDelta | Answer | ReplyEnd]) -> AsyncIterator[str]:
    """Deltas, then one ``done`` event; an error after the first event ends the stream as an event."""
    try:
        async for event in events:
            if isinstance(event, AnswerDelta):
                yield _event({"content": event.text, "done": False})
            elif isinstance(event, ReplyEnd):
                extra = {"message_id": str(event.message.id)}
                outcome = event.outcome
                yield _done(outcome, extra) if isinstance(outcome, Answer) else _error(outcome, extra)
            else:
                yield _done(event, {})
    except Exception as exc:  # noqa: BLE001 - the stream has started: the error must travel as an event
        yield _error(exc, {})


def event_stream(lines: AsyncIterator[str]) -> ServerSentEvent:
    return ServerSentEvent(lines, headers={"Cache-Control": "no-store"})
