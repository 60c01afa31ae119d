"""Request and response bodies of the knowledge API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec

from application.knowledge.ports import ChunkHit, CollectionView
from application.knowledge.search import MAX_QUERY_LENGTH, Degradation, Retrieval
from domain.knowledge.models import (
    MAX_COLLECTION_NAME_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MAX_TITLE_LENGTH,
    Chunk,
    CollectionRole,
    ContentType,
    Document,
    Membership,
    SearchMode,
)
from entrypoints.http.schemas import Body, Schema
from entrypoints.http.text_rules import json_problem, line, lines

Title = Annotated[str, line(MAX_TITLE_LENGTH, not_blank=True)]
CollectionName = Annotated[str, line(MAX_COLLECTION_NAME_LENGTH, not_blank=True)]
Description = Annotated[str, lines(MAX_DESCRIPTION_LENGTH)]
Content = Annotated[str, lines(min_length=1)]
HeadingPath = Annotated[
    str, msgspec.Meta(description='The headings above the passage, outermost first: "Handbook > Travel > Hotels".')
]
Page = Annotated[int | None, msgspec.Meta(description="The 1-based page (PDF) the passage starts on; null otherwise.")]


def _check_json(field: str, value: Any) -> None:
    """msgspec reports a ValueError from ``__post_init__`` as a validation error of the body."""
    if value is not None and (problem := json_problem(field, value)):
        raise ValueError(problem)


class CreateCollectionBody(Body):
    name: CollectionName
    description: Description = ""


class UpdateCollectionBody(Body):
    name: CollectionName | None = None
    description: Description | None = None


class MemberBody(Body):
    role: CollectionRole


class DocumentBody(Body):
    title: Title
    content: Content
    content_type: ContentType = ContentType.TEXT
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_json("metadata", self.metadata)


class UpdateDocumentBody(Body):
    title: Title | None = None
    content: Content | None = None
    content_type: ContentType | None = None
    metadata: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        _check_json("metadata", self.metadata)


class SearchFiltersBody(Body):
    document_ids: list[UUID] | None = None
    content_types: list[ContentType] | None = None
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_json("filters.metadata", self.metadata)


class SearchBody(Body):
    query: Annotated[str, lines(MAX_QUERY_LENGTH, not_blank=True)]  # pasted text may span lines
    mode: SearchMode = SearchMode.HYBRID
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10
    collection_ids: list[UUID] | None = None
    filters: SearchFiltersBody | None = None
    rerank: Annotated[
        bool,
        msgspec.Meta(
            description="Have the configured reranker order the top RERANK_CANDIDATES hits before the cut to"
            " `limit`; 409 RERANKER_DISABLED when no RERANK_URL is set."
        ),
    ] = False


class CollectionOut(Schema):
    id: UUID
    name: str
    description: str
    role: CollectionRole | None
    document_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: CollectionView) -> CollectionOut:
        c = view.collection
        return cls(
            id=c.id,
            name=c.name,
            description=c.description,
            role=view.role,
            document_count=view.document_count,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


class MemberOut(Schema):
    user_id: UUID
    role: CollectionRole
    created_at: datetime

    @classmethod
    def of(cls, membership: Membership) -> MemberOut:
        return cls(user_id=membership.user_id, role=membership.role, created_at=membership.created_at)


class DocumentError(Schema):
    stage: str
    message: str


class DocumentOut(Schema):
    id: UUID
    collection_id: UUID
    title: str
    content_type: ContentType
    status: str
    size_bytes: int
    content_hash: str
    chunk_count: int
    metadata: dict[str, Any]
    error: DocumentError | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, document: Document) -> DocumentOut:
        error = (
            DocumentError(stage=document.error_stage, message=document.error_message or "")
            if document.error_stage
            else None
        )
        return cls(
            id=document.id,
            collection_id=document.collection_id,
            title=document.title,
            content_type=document.content_type,
            status=document.status.value,
            size_bytes=document.size_bytes,
            content_hash=document.content_hash,
            chunk_count=document.chunk_count,
            metadata=document.metadata,
            error=error,
            created_at=document.created_at,
            updated_at=document.updated_at,
        )


class ChunkOut(Schema):
    id: UUID
    ordinal: int
    text: str
    start: int
    end: int
    token_count: int
    heading_path: HeadingPath
    page: Page

    @classmethod
    def of(cls, chunk: Chunk) -> ChunkOut:
        return cls(
            id=chunk.id,
            ordinal=chunk.ordinal,
            text=chunk.text,
            start=chunk.start,
            end=chunk.end,
            token_count=chunk.token_count,
            heading_path=chunk.heading_path,
            page=chunk.page,
        )


class SearchHitOut(Schema):
    chunk_id: UUID
    document_id: UUID
    collection_id: UUID
    title: str
    text: str
    score: float
    start: int
    end: int
    heading_path: HeadingPath
    page: Page

    @classmethod
    def of(cls, hit: ChunkHit) -> SearchHitOut:
        return cls(
            chunk_id=hit.chunk_id,
            document_id=hit.document_id,
            collection_id=hit.collection_id,
            title=hit.title,
            text=hit.text,
            score=round(hit.score, 6),
            start=hit.start,
            end=hit.end,
            heading_path=hit.heading_path,
            page=hit.page,
        )


class RetrievalOut(Schema):
    """How passages were found: ``mode`` ran; ``degraded`` says why it is weaker than ``requested_mode``;
    ``reranked``: the reranker ordered them (False when not asked for, or when the rerank server failed)."""

    mode: SearchMode
    requested_mode: SearchMode
    degraded: Degradation | None
    reranked: bool

    @classmethod
    def of(cls, retrieval: Retrieval) -> RetrievalOut:
        return cls(
            mode=retrieval.mode,
            requested_mode=retrieval.requested_mode,
            degraded=retrieval.degraded,
            reranked=retrieval.reranked,
        )


class SearchMeta(RetrievalOut):
    count: int


class SearchOut(Schema):
    data: list[SearchHitOut]
    meta: SearchMeta
