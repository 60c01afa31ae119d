from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.assistant.tables import ConversationRow, MessageRow
from adapters.persistence.paging import fetch_page
from application.shared.ports import Page, PageRequest
from domain.assistant.models import Citation, Conversation, MessageStatus, StoredMessage, TurnRole, Usage


def _conversation(row: ConversationRow) -> Conversation:
    return Conversation(
        id=row.id,
        user_id=row.user_id,
        title=row.title,
        collection_ids=frozenset(row.collection_ids) if row.collection_ids is not None else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _citation_json(citation: Citation) -> dict[str, Any]:
    return {
        "number": citation.number,
        "document_id": str(citation.document_id),
        "chunk_id": str(citation.chunk_id),
        "title": citation.title,
        "snippet": citation.snippet,
        "start": citation.start,
        "end": citation.end,
        "score": citation.score,
        "heading_path": citation.heading_path,
        "chunk_start": citation.chunk_start,
        "chunk_end": citation.chunk_end,
    }


def _citation(data: dict[str, Any]) -> Citation:
    return Citation(
        number=int(data["number"]),
        document_id=UUID(data["document_id"]),
        chunk_id=UUID(data["chunk_id"]),
        title=str(data["title"]),
        snippet=str(data["snippet"]),
        start=int(data["start"]),
        end=int(data["end"]),
        score=float(data["score"]),
        # replies stored before citations were narrowed to sentences have none of these
        heading_path=str(data.get("heading_path", "")),
        chunk_start=_optional_int(data.get("chunk_start")),
        chunk_end=_optional_int(data.get("chunk_end")),
    )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


class SqlConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, conversation: Conversation) -> None:
        self._session.add(
            ConversationRow(
                id=conversation.id,
                user_id=conversation.user_id,
                title=conversation.title,
                collection_ids=sorted(conversation.collection_ids) if conversation.collection_ids is not None else None,
                created_at=conversation.created_at,
                updated_at=conversation.updated_at,
            )
        )
        await self._session.flush()

    async def get(self, conversation_id: UUID) -> Conversation | None:
        row = await self._session.get(ConversationRow, conversation_id, populate_existing=True)
        return None if row is None else _conversation(row)

    async def touch(self, conversation_id: UUID, at: datetime) -> None:
        await self._session.execute(
            update(ConversationRow)
            .where(ConversationRow.id == conversation_id)
            .values(updated_at=at)
            .execution_options(synchronize_session=False)
        )

    async def delete(self, conversation_id: UUID) -> None:
        await self._session.execute(
            delete(ConversationRow)
            .where(ConversationRow.id == conversation_id)
            .execution_options(synchronize_session=False)
        )

    async def add_message(self, message: StoredMessage) -> None:
        self._session.add(
            MessageRow(
                id=message.id,
                conversation_id=message.conversation_id,
                role=message.role.value,
                content=message.content,
                status=message.status.value,
                citations=[_citation_json(c) for c in message.citations],
                provider=message.provider,
                model=message.model,
                input_tokens=message.usage.input_tokens,
                output_tokens=message.usage.output_tokens,
                created_at=message.created_at,
            )
        )
        await self._session.flush()

    async def messages(self, conversation_id: UUID) -> list[StoredMessage]:
        rows = await self._session.scalars(
            select(MessageRow)
            .where(MessageRow.conversation_id == conversation_id)
            .order_by(MessageRow.created_at, MessageRow.id)
        )
        return [
            StoredMessage(
                id=row.id,
                conversation_id=row.conversation_id,
                role=TurnRole(row.role),
                content=row.content,
                created_at=row.created_at,
                status=MessageStatus(row.status),
                citations=tuple(_citation(c) for c in row.citations),
                usage=Usage(row.input_tokens, row.output_tokens),
                provider=row.provider,
                model=row.model,
            )
            for row in rows
        ]

    async def list_for_user(self, user_id: UUID, page: PageRequest) -> Page[Conversation]:
        statement = select(ConversationRow).where(ConversationRow.user_id == user_id)
        rows, total = await fetch_page(
            self._session, statement, page, [ConversationRow.updated_at.desc(), ConversationRow.id.desc()]
        )
        return Page([_conversation(row) for row in rows], total, page.limit, page.offset)
