"""The events outbox: domain events written with the change they describe, handed on by the relay.

Revision ID: 0010_domain_events
Revises: 0009_structured_chunks
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_domain_events"
down_revision: str | None = "0009_structured_chunks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "domain_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("audience_collection_id", sa.Uuid(), nullable=True),
        sa.Column("audience_user_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("traceparent", sa.String(length=128), nullable=True),
        sa.Column("handed_on_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_events")),
    )
    # partial: only the events still to hand on, so the relay's scan stays small however long the history
    op.create_index(
        "ix_domain_events_due", "domain_events", ["id"], unique=False, postgresql_where=sa.text("handed_on_at IS NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_domain_events_due", table_name="domain_events", postgresql_where=sa.text("handed_on_at IS NULL"))
    op.drop_table("domain_events")
