"""``limit``/``offset``/``sort`` query parameters and the list envelope."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any, Generic, TypeVar

from litestar.params import Parameter, QueryParameter

from application.shared.ports import Page, PageRequest
from domain.shared.errors import ValidationError
from entrypoints.http.schemas import Schema

T = TypeVar("T")

MAX_OFFSET = 10_000_000  # far past any real list, far below Postgres' int64 (larger values overflowed into a 500)

Limit = Annotated[int, Parameter(ge=1, le=100, description="Page size (1..100)")]
Offset = Annotated[int, Parameter(ge=0, le=MAX_OFFSET, description=f"Items to skip (0..{MAX_OFFSET})")]


class PageMeta(Schema):
    total: int
    limit: int
    offset: int


class ListEnvelope(Schema, Generic[T]):
    data: list[T]
    meta: PageMeta


def sort_values(allowed: Collection[str]) -> list[str]:
    """Each field ascending and, with a leading ``-``, descending."""
    return sorted({*allowed, *(f"-{field}" for field in allowed)})


def sort_by(allowed: Collection[str]) -> Any:
    """``Annotated`` metadata of the ``sort`` query parameter: the enum of what ``page_request`` accepts."""
    return QueryParameter(
        description="Field to sort by; a leading `-` sorts descending", schema_extra={"enum": sort_values(allowed)}
    )


def page_request(limit: int, offset: int, sort: str, allowed: Collection[str]) -> PageRequest:
    if sort.lstrip("-") not in allowed:
        raise ValidationError(
            f"Cannot sort by '{sort}'.",
            code="INVALID_SORT",
            details={"allowed": sort_values(allowed)},
        )
    return PageRequest(limit=limit, offset=offset, sort=sort)


def meta(page: Page[T]) -> PageMeta:
    return PageMeta(total=page.total, limit=page.limit, offset=page.offset)
