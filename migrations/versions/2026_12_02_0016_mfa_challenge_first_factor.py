"""An MFA challenge remembers how its first step was proven (a password or an OpenID Connect provider), so the
session the code step opens records the right ``amr``.

Revision ID: 0016_challenge_first_factor
Revises: 0015_signing_keys
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_challenge_first_factor"
down_revision: str | None = "0015_signing_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # nullable: challenges issued before this revision were all password sign-ins
    op.add_column("one_time_tokens", sa.Column("first_factor", sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column("one_time_tokens", "first_factor")
