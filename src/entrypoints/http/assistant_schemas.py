"""Request and response bodies of the assistant API (/ask, conversations), shared with GraphQL."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from application.assistant.answer import Answer
from application.assistant.conversations import MAX_MESSAGE_CHARS
from application.assistant.policy import MAX_QUESTION_CHARS
from domain.assistant.models import Citation
from entrypoints.http.knowledge_schemas import RetrievalOut
from entrypoints.http.schemas import Body, Schema
from entrypoints.http.text_rules import line, lines


class AskBody(Body):
    question: Annotated[str, lines(MAX_QUESTION_CHARS, not_blank=True)]
    collection_ids: list[UUID] | None = None
    stream: bool = False


class CreateConversationBody(Body):
    title: Annotated[str, line(400)] | None = None
    collection_ids: list[UUID] | None = None


class MessageBody(Body):
    content: Annotated[str, lines(MAX_MESSAGE_CHARS, not_blank=True)]


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

    @classmethod
    def of(cls, answer: Answer) -> AnswerOut:
        return cls(
            answer=answer.text,
            citations=[CitationOut.of(c) for c in answer.citations],
            model=answer.model,
            provider=answer.provider,
            usage=UsageOut(input_tokens=answer.usage.input_tokens, output_tokens=answer.usage.output_tokens),
            cached=answer.cached,
            retrieval=RetrievalOut.of(answer.retrieval),
        )
