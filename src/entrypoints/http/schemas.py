"""msgspec schemas shared by every controller: the success and error envelopes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import msgspec

from domain.shared.errors import ValidationError

T = TypeVar("T")

# a moment needs its offset: naive values were compared with aware ones in the database (a 500)
Instant = Annotated[datetime, msgspec.Meta(tz=True, description="RFC 3339 date-time with an offset, e.g. Z")]


def with_offset(field: str, value: datetime | None) -> datetime | None:
    """The query-parameter twin of ``Instant`` (Litestar ignores msgspec's ``tz`` constraint there)."""
    if value is not None and value.tzinfo is None:
        raise ValidationError(
            f"'{field}' needs a UTC offset, e.g. 2030-01-01T00:00:00Z.", details={"field": field, "source": "query"}
        )
    return value


class Schema(msgspec.Struct, kw_only=True):
    """Base for API bodies; ``msgspec.UNSET`` fields are left out of responses."""


class Body(Schema, forbid_unknown_fields=True):
    """Base for request bodies. Unknown fields are rejected: nobody can slip ``role`` into a profile update."""


class DataEnvelope(Schema, Generic[T]):
    data: T


class ErrorBody(Schema):
    code: str
    message: str
    request_id: str
    timestamp: str
    details: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class ErrorEnvelope(Schema):
    error: ErrorBody
