"""msgspec schemas shared by every controller: the success and error envelopes."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")


class Schema(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base for API bodies: unknown fields are rejected by ``forbid_unknown_fields`` where it matters."""


class DataEnvelope(Schema, Generic[T]):
    data: T


class ErrorBody(Schema):
    code: str
    message: str
    request_id: str
    timestamp: str
    details: dict[str, Any] | None = None


class ErrorEnvelope(Schema):
    error: ErrorBody
