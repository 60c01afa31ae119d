"""Collections, memberships, documents and chunks."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.shared.errors import ValidationError


class CollectionRole(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    OWNER = "owner"


class DocumentStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class ContentType(StrEnum):
    TEXT = "text/plain"
    MARKDOWN = "text/markdown"
    HTML = "text/html"
    PDF = "application/pdf"
    CSV = "text/csv"
    EMAIL = "message/rfc822"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    EPUB = "application/epub+zip"
    OUTLOOK = "application/vnd.ms-outlook"


class SearchMode(StrEnum):
    HYBRID = "hybrid"
    KEYWORD = "keyword"
    VECTOR = "vector"


MAX_COLLECTION_NAME_LENGTH = 200
MAX_TITLE_LENGTH = 300
MAX_DESCRIPTION_LENGTH = 2000


def clean_name(raw: str, *, field_name: str = "name", limit: int = MAX_COLLECTION_NAME_LENGTH) -> str:
    value = " ".join(raw.split())
    if not 1 <= len(value) <= limit:
        raise ValidationError(f"The {field_name} must be 1 to {limit} characters.", details={"field": field_name})
    return value


@dataclass(frozen=True, slots=True)
class Collection:
    id: UUID
    name: str
    description: str
    created_by: UUID
    created_at: datetime
    updated_at: datetime

    def with_changes(self, **changes: Any) -> Collection:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Membership:
    collection_id: UUID
    user_id: UUID
    role: CollectionRole
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Document:
    id: UUID
    collection_id: UUID
    title: str
    content_type: ContentType
    content_hash: str
    size_bytes: int
    status: DocumentStatus
    created_by: UUID
    created_at: datetime
    updated_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)
    chunk_count: int = 0
    error_stage: str | None = None
    error_message: str | None = None
    idempotency_key: str | None = None

    def with_changes(self, **changes: Any) -> Document:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Chunk:
    id: UUID
    document_id: UUID
    collection_id: UUID
    ordinal: int
    text: str
    start: int
    end: int
    token_count: int
    heading_path: str = ""
    page: int | None = None
