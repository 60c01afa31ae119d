"""/api/v1/conversations: threads with history; replies stream over SSE and are stored even if the client leaves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody

from application.assistant.answer import Answer, AskQuestion
from application.assistant.conversations import (
    CreateConversation,
    DeleteConversation,
    GetConversation,
    ListConversations,
    RelayReply,
    SaveReply,
    StartReply,
)
from application.shared.ports import PageRequest
from domain.assistant.models import Conversation, StoredMessage
from domain.identity.principal import Principal
from entrypoints.http.assistant_schemas import CitationOut, CreateConversationBody, MessageBody, UsageOut
from entrypoints.http.background import BackgroundTasks
from entrypoints.http.errors import error_responses
from entrypoints.http.knowledge_schemas import RetrievalOut
from entrypoints.http.openapi_bodies import streamed_or_whole
from entrypoints.http.pagination import Limit, ListEnvelope, Offset, meta
from entrypoints.http.schemas import DataEnvelope, Schema
from entrypoints.http.sse import answer_events, event_stream


class ConversationOut(Schema):
    id: UUID
    title: str
    collection_ids: list[UUID] | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, conversation: Conversation) -> ConversationOut:
        ids = sorted(conversation.collection_ids) if conversation.collection_ids is not None else None
        return cls(
            id=conversation.id,
            title=conversation.title,
            collection_ids=ids,
            created_at=conversation.created_at,
            updated_at=conversation.updated_at,
        )


class MessageOut(Schema):
    id: UUID
    role: str
    content: str
    status: str
    citations: list[CitationOut]
    usage: UsageOut
    created_at: datetime
    provider: str | None = None
    model: str | None = None
    # only on the reply just generated: how its passages were found (not stored with the message)
    retrieval: RetrievalOut | msgspec.UnsetType = msgspec.UNSET

    @classmethod
    def of(cls, message: StoredMessage, answer: Answer | None = None) -> MessageOut:
        return cls(
            id=message.id,
            role=message.role.value,
            content=message.content,
            status=message.status.value,
            citations=[CitationOut.of(c) for c in message.citations],
            usage=UsageOut(input_tokens=message.usage.input_tokens, output_tokens=message.usage.output_tokens),
            created_at=message.created_at,
            provider=message.provider,
            model=message.model,
            retrieval=RetrievalOut.of(answer.retrieval) if answer else msgspec.UNSET,
        )


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut] = msgspec.field(default_factory=list)


async def _pump(lines: AsyncIterator[str], queue: asyncio.Queue[str | None]) -> None:
    """Drives the reply to its end whether or not the client still listens; the client reads the queue."""
    try:
        async for line in lines:
            queue.put_nowait(line)
    finally:
        queue.put_nowait(None)


async def _drain(queue: asyncio.Queue[str | None]) -> AsyncIterator[str]:
    while (item := await queue.get()) is not None:
        yield item


class ConversationsController(Controller):
    path = "/conversations"
    tags = ["conversations"]  # noqa: RUF012 - litestar's declared type

    @post(
        "/",
        summary="Start a conversation",
        description="Every `collection_ids` entry must be a collection the caller can read (404 otherwise).",
        responses=error_responses(401, 403, 404, 422),
    )
    @inject
    async def create(
        self,
        data: JSONBody[CreateConversationBody],
        principal: FromDishka[Principal],
        create: FromDishka[CreateConversation],
    ) -> Response[DataEnvelope[ConversationOut]]:
        ids = frozenset(data.collection_ids) if data.collection_ids is not None else None
        conversation = await create.execute(principal, data.title, ids)
        return Response(
            DataEnvelope(data=ConversationOut.of(conversation)),
            status_code=201,
            headers={"Location": f"/api/v1/conversations/{conversation.id}"},
        )

    @get("/", summary="The caller's conversations, latest first", responses=error_responses(401, 403, 422))
    @inject
    async def list_conversations(
        self,
        principal: FromDishka[Principal],
        list_conversations: FromDishka[ListConversations],
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> ListEnvelope[ConversationOut]:
        page = await list_conversations.execute(principal, PageRequest(limit=limit, offset=offset))
        return ListEnvelope(data=[ConversationOut.of(c) for c in page.items], meta=meta(page))

    @get("/{conversation_id:uuid}", summary="A conversation with its messages", responses=error_responses(401, 404))
    @inject
    async def get_conversation(
        self,
        conversation_id: FromPath[UUID],
        principal: FromDishka[Principal],
        get_one: FromDishka[GetConversation],
    ) -> DataEnvelope[ConversationDetailOut]:
        conversation, messages = await get_one.execute(principal, conversation_id)
        base = ConversationOut.of(conversation)
        detail = ConversationDetailOut(
            id=base.id,
            title=base.title,
            collection_ids=base.collection_ids,
            created_at=base.created_at,
            updated_at=base.updated_at,
            messages=[MessageOut.of(m) for m in messages],
        )
        return DataEnvelope(data=detail)

    @delete("/{conversation_id:uuid}", summary="Delete a conversation", responses=error_responses(401, 404))
    @inject
    async def delete_conversation(
        self,
        conversation_id: FromPath[UUID],
        principal: FromDishka[Principal],
        remove: FromDishka[DeleteConversation],
    ) -> None:
        await remove.execute(principal, conversation_id)

    @post(
        "/{conversation_id:uuid}/messages",
        status_code=200,
        summary="Send a message; the reply streams (SSE) or, with Accept: application/json, returns whole",
        responses=error_responses(400, 401, 403, 404, 422, 429, 503),
        operation_class=streamed_or_whole(DataEnvelope[MessageOut]),
    )
    @inject
    async def send(
        self,
        request: Request[Any, Any, Any],
        conversation_id: FromPath[UUID],
        data: JSONBody[MessageBody],
        principal: FromDishka[Principal],
        start: FromDishka[StartReply],
        ask: FromDishka[AskQuestion],
        save: FromDishka[SaveReply],
        relay: FromDishka[RelayReply],
    ) -> Response[Any]:
        pending = await start.execute(principal, conversation_id, data.content)
        if "application/json" in request.headers.get("accept", ""):
            answer = await ask.execute(principal, pending.question)
            saved = await save.execute(pending, answer=answer)
            return Response(DataEnvelope(data=MessageOut.of(saved, answer)))
        events = await ask.stream(principal, pending.question)  # quota and retrieval errors are still plain JSON
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        background: BackgroundTasks = request.app.state.background
        background.spawn(_pump(answer_events(relay.execute(pending, events)), queue))
        return event_stream(_drain(queue))
