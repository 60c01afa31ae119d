"""Request and response bodies of the assistant API (/ask, conversations), shared with GraphQL."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from application.assistant.answer import Answer
from application.assistant.conversations import MAX_MESSAGE_CHARS
from application.assistant.policy import MAX_QUESTION_CHARS
from domain.assistant.models import Citation
from entrypoints.http.knowledge_schemas import HeadingPath, RetrievalOut
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


Snippet = Annotated[
    str,
    msgspec.Meta(
        description="The quoted sentence(s) of the passage, or the whole passage when no sentence matches the answer."
    ),
]
Start = Annotated[int, msgspec.Meta(description="Where `snippet` starts in the document's extracted text.")]
End = Annotated[int, msgspec.Meta(description="Where `snippet` ends (exclusive) in the document's extracted text.")]
ChunkStart = Annotated[int, msgspec.Meta(description="Where the cited passage (chunk) starts in the same text.")]
ChunkEnd = Annotated[int, msgspec.Meta(description="Where the cited passage (chunk) ends (exclusive).")]


class CitationOut(Schema):
    number: int
    document_id: UUID
    chunk_id: UUID
    title: str
    snippet: Snippet
    start: Start
    end: End
    score: float
    heading_path: HeadingPath
    chunk_start: ChunkStart
    chunk_end: ChunkEnd

    @classmethod
    def of(cls, citation: Citation) -> CitationOut:
        chunk_start, chunk_end = citation.chunk_span
        return cls(
            number=citation.number,
            document_id=citation.document_id,
            chunk_id=citation.chunk_id,
            title=citation.title,
            snippet=citation.snippet,
            start=citation.start,
            end=citation.end,
            score=round(citation.score, 6),
            heading_path=citation.heading_path,
            chunk_start=chunk_start,
            chunk_end=chunk_end,
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
