"""/api/v1/ask (JSON or Server-Sent Events) and /api/v1/usage."""

from __future__ import annotations

from typing import Any

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody

from application.assistant.answer import AskQuestion, GetUsage, Question
from domain.identity.principal import Principal
from entrypoints.http.assistant_schemas import AnswerOut, AskBody
from entrypoints.http.errors import error_responses
from entrypoints.http.openapi_bodies import streamed_or_whole
from entrypoints.http.schemas import DataEnvelope, Schema
from entrypoints.http.sse import answer_events, event_stream


class UsageReportOut(Schema):
    period: str
    used_tokens: int
    quota_tokens: int
    resets_at: str


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
            return event_stream(answer_events(events))
        return Response(DataEnvelope(data=AnswerOut.of(await ask.execute(principal, question))))

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
