"""Relay-style connections over the use cases' offset pages, with opaque cursors.

Every REST list of the API pages by offset, so a cursor encodes the position of its item; the
client never sees that: a cursor is only valid as ``after`` of the same list.
"""

import base64
import binascii
import re
from collections.abc import Callable, Collection, Sequence
from typing import Generic, TypeVar

import strawberry

from application.shared.ports import Page, PageRequest
from domain.shared.errors import ValidationError
from entrypoints.http.pagination import MAX_OFFSET
from entrypoints.http.pagination import page_request as rest_page_request

T = TypeVar("T")
N = TypeVar("N")

MAX_FIRST = 100  # the REST lists' largest page
_PREFIX = "lore:"
_POSITION = re.compile(r"[0-9]{1,9}")  # ASCII digits only: str.isdigit() also accepts "²", which int() refuses


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    invalid = ValidationError("The cursor is not valid.", code="INVALID_CURSOR", details={"field": "after"})
    if len(cursor) > 64:
        raise invalid
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid from None
    digits = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not _POSITION.fullmatch(digits) or int(digits) >= MAX_OFFSET:
        raise invalid
    return int(digits)


def page_request(first: int, after: str | None, sort: str, allowed: Collection[str]) -> PageRequest:
    """The REST list's page, its bounds and its sort rule (``INVALID_SORT``)."""
    if not 1 <= first <= MAX_FIRST:
        raise ValidationError(f"first must be 1 to {MAX_FIRST}.", details={"field": "first"})
    offset = decode_cursor(after) + 1 if after is not None else 0
    return rest_page_request(first, offset, sort, allowed)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[N]):
    cursor: str
    node: N


@strawberry.type
class Connection(Generic[N]):
    edges: list[Edge[N]]
    page_info: PageInfo
    total_count: int

    @strawberry.field
    def nodes(self) -> list[N]:
        return [edge.node for edge in self.edges]


def connection(page: Page[T], convert: Callable[[T], N]) -> Connection[N]:
    return connection_of(page.items, page.offset, page.total, convert)


def connection_of(items: Sequence[T], offset: int, total: int, convert: Callable[[T], N]) -> Connection[N]:
    edges = [Edge(cursor=encode_cursor(offset + i), node=convert(item)) for i, item in enumerate(items)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=offset + len(edges) < total,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )
