"""Arguments checked by the REST bodies' own schemas: the same lengths, characters and bounds, the same errors."""

from typing import Any, TypeVar

import msgspec

from entrypoints.http.errors import body_validation_error

B = TypeVar("B", bound=msgspec.Struct)


def body(kind: type[B], raw: dict[str, Any]) -> B:
    """``raw`` (the arguments, in the REST body's field names) as the REST body ``kind``, or VALIDATION_ERROR."""
    try:
        return msgspec.convert({k: v for k, v in raw.items() if v is not None}, kind)
    except msgspec.ValidationError as exc:
        raise body_validation_error(exc) from None
