"""msgspec schemas shared by every controller: the success and error envelopes."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")


class Schema(msgspec.Struct, kw_only=True):
    """Base for API bodies; ``msgspec.UNSET`` fields are left out of responses."""


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
