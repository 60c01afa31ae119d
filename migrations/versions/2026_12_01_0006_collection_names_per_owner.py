"""Collection names unique per creator instead of across all users (one user's names leaked to others).

Revision ID: 0006_collection_names_per_owner
Revises: 0005_background_tasks
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006_collection_names_per_owner"
down_revision: str | None = "0005_background_tasks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("uq_collections_name"), "collections", type_="unique")
    # NULLs stay distinct: collections of deleted accounts (created_by SET NULL) never clash
    op.create_index("ux_collections_created_by_name", "collections", ["created_by", "name"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_collections_created_by_name", table_name="collections")
    # names shared by several creators get their id appended, oldest keeps its name, so the old rule holds
    op.execute(
        """
        UPDATE collections SET name = left(name, 160) || ' (' || id::text || ')'
        WHERE id IN (
            SELECT id FROM (
                SELECT id, row_number() OVER (PARTITION BY name ORDER BY created_at, id) AS n FROM collections
            ) AS ranked
            WHERE n > 1
        )
        """
    )
    op.create_unique_constraint(op.f("uq_collections_name"), "collections", ["name"])
