"""Sorting and paging shared by the list queries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from application.shared.ports import PageRequest

LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with its own % and _ taken literally (use LIKE_ESCAPE)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def order_by(
    sort: str, columns: Mapping[str, InstrumentedAttribute[Any]], tiebreak: InstrumentedAttribute[Any]
) -> list[Any]:
    """``field`` or ``-field``; unknown fields were rejected at the edge, so fall back quietly."""
    descending = sort.startswith("-")
    column = columns.get(sort.lstrip("-"))
    if column is None:
        return [tiebreak.desc()]
    return [column.desc() if descending else column.asc(), tiebreak.desc() if descending else tiebreak.asc()]


async def fetch_page(
    session: AsyncSession, query: Select[Any], page: PageRequest, ordering: list[Any]
) -> tuple[list[Any], int]:
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = (await session.scalars(query.order_by(*ordering).limit(page.limit).offset(page.offset))).all()
    return list(rows), int(total or 0)
