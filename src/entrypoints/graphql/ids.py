"""GraphQL ``ID`` arguments are the API's UUIDs; anything else is a validation error, never a 500."""

from uuid import UUID

from domain.shared.errors import ValidationError


def uuid_of(value: str, field: str) -> UUID:
    if len(value) > 64:
        raise ValidationError(f"{field} is not a valid id.", details={"field": field})
    try:
        return UUID(value)
    except ValueError:
        raise ValidationError(f"{field} is not a valid id.", details={"field": field}) from None
