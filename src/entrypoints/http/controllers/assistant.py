"""/api/v1/ask (JSON or Server-Sent Events) and /api/v1/usage."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody
from litestar.response import ServerSentEvent

from application.assistant.answer import Answer, AnswerDelta, AskQuestion, GetUsage, Question
from application.assistant.ports import ProviderError
from domain.assistant.models import Citation
from domain.identity.principal import Principal
from domain.shared.errors import DomainError
from entrypoints.http.errors import error_responses
from entrypoints.http.identity_schemas import Body
from entrypoints.http.knowledge_schemas import RetrievalOut
from entrypoints.http.openapi_bodies import streamed_or_whole
from entrypoints.http.schemas import DataEnvelope, Schema
from entrypoints.http.text_rules import lines

logger = logging.getLogger("lore.assistant")


class AskBody(Body):
    question: Annotated[str, lines(8000)]
    collection_ids: list[UUID] | None = None
    stream: bool = False


class CitationOut(Schema):
    number: int
    document_id: UUID
    chunk_id: UUID
    title: str
    snippet: str
    start: int
    end: int
    score: float

    @classmethod
    def of(cls, citation: Citation) -> CitationOut:
        return cls(
            number=citation.number,
            document_id=citation.document_id,
            chunk_id=citation.chunk_id,
            title=citation.title,
            snippet=citation.snippet,
            start=citation.start,
            end=citation.end,
            score=round(citation.score, 6),
        )


class UsageOut(Schema):
    input_tokens: int
    output_tokens: int


class AnswerOut(Schema):
    answer: str
    citations: list[CitationOut]
    model: str
    provider: str
    usage: UsageOut
    cached: bool
    retrieval: RetrievalOut


class UsageReportOut(Schema):
    period: str
    used_tokens: int
    quota_tokens: int
    resets_at: str


def answer_out(answer: Answer) -> AnswerOut:
    return AnswerOut(
        answer=answer.text,
        citations=[CitationOut.of(c) for c in answer.citations],
        model=answer.model,
        provider=answer.provider,
        usage=UsageOut(input_tokens=answer.usage.input_tokens, output_tokens=answer.usage.output_tokens),
        cached=answer.cached,
        retrieval=RetrievalOut.of(answer.retrieval),
    )


def _event(payload: dict[str, Any]) -> str:
    return msgspec.json.encode(payload).decode()


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


async def sse_events(events: AsyncIterator[AnswerDelta | Answer], message_id: str | None = None) -> AsyncIterator[str]:
    """The wire format of ARCHITECTURE.md: deltas, then one ``done`` event, or an ``error`` event that ends it."""
    try:
        async for event in events:
            if isinstance(event, AnswerDelta):
                yield _event({"content": event.text, "done": False})
            else:
                out = msgspec.to_builtins(answer_out(event))
                yield _event(
                    {
                        "done": True,
                        "citations": out["citations"],
                        "usage": out["usage"],
                        "model": out["model"],
                        "provider": out["provider"],
                        "cached": out["cached"],
                        "retrieval": out["retrieval"],
                        "message_id": message_id,
                    }
                )
    except Exception as exc:  # noqa: BLE001 - the stream has started: the error must travel as an event
        yield _event({"error": stream_error(exc), "done": True})


def wants_stream(request: Request[Any, Any, Any], flag: bool) -> bool:
    return flag or "text/event-stream" in request.headers.get("accept", "")


class AssistantController(Controller):
    tags = ["assistant"]  # noqa: RUF012 - litestar's declared type

    @post(
        "/ask",
        status_code=200,
        summary="Answer a question from the caller's documents, with citations",
        description=(
            "JSON by default; Server-Sent Events with `stream: true` or `Accept: text/event-stream`. "
            "`retrieval` says how passages were found (keyword when the embeddings server is down)."
        ),
        responses=error_responses(400, 401, 403, 404, 422, 429, 503),
        operation_class=streamed_or_whole(DataEnvelope[AnswerOut]),
    )
    @inject
    async def ask(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[AskBody],
        principal: FromDishka[Principal],
        ask: FromDishka[AskQuestion],
    ) -> Response[Any]:
        question = Question(
            text=data.question,
            collection_ids=frozenset(data.collection_ids) if data.collection_ids is not None else None,
        )
        if wants_stream(request, data.stream):
            events = await ask.stream(principal, question)  # quota and validation fail here, as plain JSON errors
            return ServerSentEvent(sse_events(events), headers={"Cache-Control": "no-store"})
        return Response(DataEnvelope(data=answer_out(await ask.execute(principal, question))))

    @get("/usage", summary="The caller's token usage and quota this period", responses=error_responses(401, 403))
    @inject
    async def usage(
        self, principal: FromDishka[Principal], get_usage: FromDishka[GetUsage]
    ) -> DataEnvelope[UsageReportOut]:
        report = await get_usage.execute(principal)
        return DataEnvelope(
            data=UsageReportOut(
                period=report.period,
                used_tokens=report.used_tokens,
                quota_tokens=report.quota_tokens,
                resets_at=report.resets_at,
            )
        )
