"""Chunks carry their heading path and page; the heading path joins the keyword index; longer content types.

Revision ID: 0009_structured_chunks
Revises: 0008_job_trace_context
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_structured_chunks"
down_revision: str | None = "0008_job_trace_context"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT_ONLY = "to_tsvector('english', text)"
# the heading path weighs more (A) than the body (D, the weight plain to_tsvector gives)
_WITH_HEADINGS = "setweight(to_tsvector('english', heading_path), 'A') || setweight(to_tsvector('english', text), 'D')"


def _tsv(expression: str) -> None:
    # a generated column's expression cannot be altered before PostgreSQL 17: drop and add it again
    op.drop_index("ix_document_chunks_tsv", table_name="document_chunks", postgresql_using="gin")
    op.drop_column("document_chunks", "tsv")
    op.add_column(
        "document_chunks",
        sa.Column("tsv", postgresql.TSVECTOR(), sa.Computed(expression, persisted=True), nullable=False),
    )
    op.create_index("ix_document_chunks_tsv", "document_chunks", ["tsv"], unique=False, postgresql_using="gin")


def upgrade() -> None:
    # Office media types are longer than 64 characters
    op.alter_column("documents", "content_type", type_=sa.String(length=128), existing_nullable=False)
    op.add_column("document_chunks", sa.Column("heading_path", sa.Text(), server_default="", nullable=False))
    op.add_column("document_chunks", sa.Column("page", sa.Integer(), nullable=True))
    _tsv(_WITH_HEADINGS)


def downgrade() -> None:
    _tsv(_TEXT_ONLY)
    op.drop_column("document_chunks", "page")
    op.drop_column("document_chunks", "heading_path")
    # documents of the new formats have no type the old schema knows
    op.execute(
        "DELETE FROM documents"
        " WHERE content_type NOT IN ('text/plain', 'text/markdown', 'text/html', 'application/pdf')"
    )
    op.alter_column("documents", "content_type", type_=sa.String(length=64), existing_nullable=False)
