from __future__ import annotations

from domain.shared.errors import ConflictError, NotFoundError, ValidationError


class WebhookNotFoundError(NotFoundError):
    default_code = "WEBHOOK_NOT_FOUND"
    default_message = "The webhook endpoint does not exist or is not visible to you."


class DeliveryNotFoundError(NotFoundError):
    default_code = "WEBHOOK_DELIVERY_NOT_FOUND"
    default_message = "The delivery does not exist or is not visible to you."


class WebhookUrlRefusedError(ValidationError):
    """The URL is not one Lore will call: wrong scheme, credentials, or a non-public address (SSRF)."""

    default_code = "WEBHOOK_URL_REFUSED"
    default_message = "This webhook URL is refused."


class WebhookDisabledError(ConflictError):
    default_code = "WEBHOOK_DISABLED"
    default_message = "The webhook endpoint is disabled; enable it before redelivering."


class DeliveryInFlightError(ConflictError):
    default_code = "WEBHOOK_DELIVERY_IN_FLIGHT"
    default_message = "The delivery is already being delivered; look at its outcome before redelivering."


class OwnerNotFoundError(NotFoundError):
    default_code = "USER_NOT_FOUND"
    default_message = "The user does not exist or is not visible to you."
