"""Helpers for UPDATE/DELETE statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


async def affected_rows(session: AsyncSession, statement: Any) -> int:
    """Rows an UPDATE/DELETE ... RETURNING touched."""
    return len((await session.execute(statement.execution_options(synchronize_session=False))).all())
