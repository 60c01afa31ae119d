"""What the assistant produces: answers with citations and the tokens they cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class TurnRole(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


@dataclass(frozen=True, slots=True)
class ChatTurn:
    role: TurnRole
    content: str


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens)


@dataclass(frozen=True, slots=True)
class Citation:
    """A passage the answer may rely on; ``start``/``end`` index the document's extracted text.

    Before the answer, ``snippet`` is the whole passage (the chunk); once the answer cites it, ``snippet`` and
    ``start``/``end`` narrow to the quoted sentence(s) and ``chunk_start``/``chunk_end`` keep the passage's span.
    """

    number: int
    document_id: UUID
    chunk_id: UUID
    title: str
    snippet: str
    start: int
    end: int
    score: float
    heading_path: str = ""
    chunk_start: int | None = None  # None: the same as start
    chunk_end: int | None = None

    @property
    def chunk_span(self) -> tuple[int, int]:
        return (
            self.start if self.chunk_start is None else self.chunk_start,
            self.end if self.chunk_end is None else self.chunk_end,
        )


class MessageStatus(StrEnum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"  # the stream broke off; what arrived is kept
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Conversation:
    id: UUID
    user_id: UUID
    title: str
    collection_ids: frozenset[UUID] | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: UUID
    conversation_id: UUID
    role: TurnRole
    content: str
    created_at: datetime
    status: MessageStatus = MessageStatus.COMPLETE
    citations: tuple[Citation, ...] = ()
    usage: Usage = Usage()
    provider: str | None = None
    model: str | None = None
