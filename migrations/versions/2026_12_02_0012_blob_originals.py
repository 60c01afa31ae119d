"""Originals move to a blob store: a source row keeps its blob key and file name; deleted keys are noted.

The bytes themselves are moved by `lore storage migrate-originals` (an Alembic revision cannot reach the blob
store): until then ``data`` keeps them, and the API and worker read either. A trigger notes the key of every
deleted or replaced source in ``blob_garbage`` in the same transaction, so collection cascades are covered and a
crash after commit leaves the key for the worker's sweep.

Downgrade refuses while an original lives only in the blob store (run `lore storage migrate-originals --back`
first, which copies them into ``data`` again); it then drops the new columns, the trigger and the notes.

Revision ID: 0012_blob_originals
Revises: 0011_webhooks
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_blob_originals"
down_revision: str | None = "0011_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOTE_FUNCTION = """
CREATE FUNCTION note_blob_garbage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.blob_key IS NOT NULL AND (TG_OP = 'DELETE' OR NEW.blob_key IS DISTINCT FROM OLD.blob_key) THEN
        INSERT INTO blob_garbage (key) VALUES (OLD.blob_key) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$
"""
_NOTE_TRIGGER = """
CREATE TRIGGER document_sources_note_blob_garbage
AFTER DELETE OR UPDATE OF blob_key ON document_sources
FOR EACH ROW EXECUTE FUNCTION note_blob_garbage()
"""


def upgrade() -> None:
    op.add_column("document_sources", sa.Column("blob_key", sa.String(length=80), nullable=True))
    op.add_column("document_sources", sa.Column("filename", sa.String(length=255), nullable=True))
    op.alter_column("document_sources", "data", existing_type=sa.LargeBinary(), nullable=True)
    op.create_index("ix_document_sources_blob_key", "document_sources", ["blob_key"])
    op.create_table(
        "blob_garbage",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("noted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_blob_garbage"),
    )
    op.execute(_NOTE_FUNCTION)
    op.execute(_NOTE_TRIGGER)


def downgrade() -> None:
    blob_only = op.get_bind().scalar(sa.text("SELECT count(*) FROM document_sources WHERE data IS NULL"))
    if blob_only:
        raise RuntimeError(
            f"{blob_only} originals are only in the blob store; run `lore storage migrate-originals --back` first"
        )
    op.execute("DROP TRIGGER document_sources_note_blob_garbage ON document_sources")
    op.execute("DROP FUNCTION note_blob_garbage()")
    op.drop_table("blob_garbage")
    op.drop_index("ix_document_sources_blob_key", table_name="document_sources")
    op.alter_column("document_sources", "data", existing_type=sa.LargeBinary(), nullable=False)
    op.drop_column("document_sources", "filename")
    op.drop_column("document_sources", "blob_key")
