"""Knowledge tables: collections, members, documents (+ sources), chunks with FTS and vectors, the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pgvector.sqlalchemy import Vector
from sqlalchemy import CheckConstraint, Computed, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from adapters.persistence.base import Base, DateTimeUTC, UUIDv7Base, metadata

# one HNSW index per common embedding size; a column without fixed dimensions holds any model's vectors
INDEXED_DIMENSIONS = (384, 768, 1024, 1536)


class CollectionRow(UUIDv7Base):
    __tablename__ = "collections"
    # unique per creator, so one user's names say nothing about another's; NULL creators never clash
    __table_args__ = (Index("ux_collections_created_by_name", "created_by", "name", unique=True),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class CollectionMemberRow(UUIDv7Base):
    __tablename__ = "collection_members"
    __table_args__ = (
        Index("ux_collection_members_collection_user", "collection_id", "user_id", unique=True),
        Index("ix_collection_members_user", "user_id", "collection_id"),
        CheckConstraint("role IN ('viewer', 'editor', 'owner')", name="role"),
    )

    collection_id: Mapped[UUID] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class DocumentRow(UUIDv7Base):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ux_documents_collection_hash", "collection_id", "content_hash", unique=True),
        Index(
            "ux_documents_idempotency",
            "collection_id",
            "created_by",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
        Index("ix_documents_collection_created", "collection_id", "created_at"),
        CheckConstraint("status IN ('pending', 'processing', 'ready', 'failed')", name="status"),
    )

    collection_id: Mapped[UUID] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(128))
    content_hash: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    doc_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, default=dict)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    error_stage: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class DocumentSourceRow(UUIDv7Base):
    """The uploaded bytes, apart from the document row so listings never load them."""

    __tablename__ = "document_sources"

    document_id: Mapped[UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), unique=True)
    # the original in the blob store (sha256/<hex>, shared by documents with the same bytes); ``data`` holds
    # originals from before blob storage until `lore storage migrate-originals` moves them
    blob_key: Mapped[str | None] = mapped_column(String(80), index=True)
    filename: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)


class BlobGarbageRow(Base):
    """Blob keys that may have lost their last reference; a trigger on document_sources notes them in the same
    transaction as the delete, so a crash between commit and blob removal leaves the key for the sweep."""

    __tablename__ = "blob_garbage"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    noted_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=text("now()"))


CHUNK_TSV = "setweight(to_tsvector('english', heading_path), 'A') || setweight(to_tsvector('english', text), 'D')"


class ChunkRow(UUIDv7Base):
    __tablename__ = "document_chunks"
    __table_args__ = (
        Index("ix_document_chunks_document_ordinal", "document_id", "ordinal"),
        Index("ix_document_chunks_collection", "collection_id"),
        Index("ix_document_chunks_tsv", "tsv", postgresql_using="gin"),
        *(
            Index(
                f"ix_document_chunks_hnsw_{dims}",
                text(f"(embedding::vector({dims})) vector_cosine_ops"),
                postgresql_using="hnsw",
                postgresql_where=text(f"embedding_dims = {dims}"),
            )
            for dims in INDEXED_DIMENSIONS
        ),
    )

    document_id: Mapped[UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    # copied from the document so permission filters need no join
    collection_id: Mapped[UUID] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    start_offset: Mapped[int] = mapped_column(Integer)
    end_offset: Mapped[int] = mapped_column(Integer)
    token_count: Mapped[int] = mapped_column(Integer)
    heading_path: Mapped[str] = mapped_column(Text, default="", server_default="")
    page: Mapped[int | None] = mapped_column(Integer)
    embedding: Mapped[Any] = mapped_column(Vector(), nullable=True)
    embedding_dims: Mapped[int | None] = mapped_column(Integer)
    embedding_model: Mapped[str | None] = mapped_column(String(200))
    # the heading path weighs more than the body: a query naming a section finds its chunks first
    tsv: Mapped[Any] = mapped_column(TSVECTOR, Computed(CHUNK_TSV, persisted=True))


class IngestionJobRow(UUIDv7Base):
    __tablename__ = "ingestion_jobs"
    __table_args__ = (
        Index("ix_ingestion_jobs_due", "status", "available_at"),
        CheckConstraint("status IN ('pending', 'enqueued', 'running', 'done', 'failed')", name="status"),
    )

    document_id: Mapped[UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    # W3C traceparent of the request (or command) that created the job; the worker's spans join its trace
    traceparent: Mapped[str | None] = mapped_column(String(128))  # 55 chars in W3C version 00


__all__ = ["INDEXED_DIMENSIONS", "metadata"]
