"""Ingestion jobs remember the trace of the request that created them (W3C traceparent).

Revision ID: 0008_job_trace_context
Revises: 0007_audit_chain
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_job_trace_context"
down_revision: str | None = "0007_audit_chain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # nullable: jobs queued before this revision (and work done outside any trace) have none
    op.add_column("ingestion_jobs", sa.Column("traceparent", sa.String(length=128), nullable=True))


def downgrade() -> None:
    op.drop_column("ingestion_jobs", "traceparent")
