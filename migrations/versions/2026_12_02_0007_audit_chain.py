"""Audit events name the API key, request, target and outcome, and form a SHA-256 hash chain.

Existing rows are linked in (occurred_at, id) order; their new fields stay empty, except the target (the
subject user) and the outcome (failed sign-ins failed, the rest succeeded).

Revision ID: 0007_audit_chain
Revises: 0006_collection_names_per_owner
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from adapters.persistence.identity.audit_chain import GENESIS, chain_fields, link_hash

revision: str = "0007_audit_chain"
down_revision: str | None = "0006_collection_names_per_owner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("actor_key_id", sa.Uuid(), nullable=True))
    op.add_column("audit_events", sa.Column("request_id", sa.String(length=128), nullable=True))
    op.add_column("audit_events", sa.Column("target_type", sa.String(length=32), nullable=True))
    op.add_column("audit_events", sa.Column("target_id", sa.String(length=64), nullable=True))
    op.add_column("audit_events", sa.Column("outcome", sa.String(length=16), nullable=True))
    op.add_column("audit_events", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.add_column("audit_events", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_events", sa.Column("row_hash", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    _backfill()
    for column in ("outcome", "seq", "prev_hash", "row_hash"):
        op.alter_column("audit_events", column, nullable=False)
    op.create_unique_constraint(op.f("uq_audit_events_seq"), "audit_events", ["seq"])


def _backfill() -> None:
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE audit_events SET target_type = 'user', target_id = subject_id::text WHERE subject_id IS NOT NULL"
        )
    )
    bind.execute(
        sa.text(
            "UPDATE audit_events SET outcome = CASE WHEN action = 'auth.login_failed' THEN 'failure' ELSE 'success' END"
        )
    )
    query = sa.text("SELECT * FROM audit_events ORDER BY occurred_at, id").columns(details=postgresql.JSONB)
    rows = bind.execute(query).mappings().all()
    prev_hash = GENESIS
    for seq, row in enumerate(rows, start=1):
        linked = _Linked({**row, "seq": seq})
        row_hash = link_hash(chain_fields(linked), prev_hash)
        bind.execute(
            sa.text("UPDATE audit_events SET seq = :seq, prev_hash = :prev, row_hash = :hash WHERE id = :id"),
            {"seq": seq, "prev": prev_hash, "hash": row_hash, "id": row["id"]},
        )
        prev_hash = row_hash
    bind.execute(
        sa.text("INSERT INTO audit_chain_head (id, seq, row_hash) VALUES (1, :seq, :hash)"),
        {"seq": len(rows), "hash": prev_hash},
    )


class _Linked:
    """Attribute access over a fetched mapping, as ``chain_fields`` reads an ORM row."""

    def __init__(self, values: dict[str, object]) -> None:
        self.__dict__.update(values)


def downgrade() -> None:
    op.drop_constraint(op.f("uq_audit_events_seq"), "audit_events", type_="unique")
    op.drop_table("audit_chain_head")
    for column in ("row_hash", "prev_hash", "seq", "outcome", "target_id", "target_type", "request_id", "actor_key_id"):
        op.drop_column("audit_events", column)
