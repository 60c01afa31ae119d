"""Provider failures as ProviderError: one rule for what is worth retrying, for every chat SDK."""

from __future__ import annotations

from collections.abc import Mapping

from application.assistant.ports import ProviderError

# with any 5xx (Anthropic's 529 "overloaded" among them); other 4xx would fail again the same way
RETRYABLE_STATUSES = frozenset({408, 409, 429})


def is_retryable_status(status_code: int) -> bool:
    return status_code in RETRYABLE_STATUSES or status_code >= 500


def http_error(name: str, status_code: int, headers: Mapping[str, str] | None) -> ProviderError:
    return ProviderError(
        name,
        f"HTTP {status_code}",
        retryable=is_retryable_status(status_code),
        retry_after=retry_after_seconds(headers),
    )


def transport_error(
    name: str, exc: Exception, *, timeout: type[Exception], connection: type[Exception]
) -> ProviderError:
    """Timeouts, network failures and unreadable answers are all worth another try."""
    if isinstance(exc, timeout):
        return ProviderError(name, "timed out", retryable=True)
    if isinstance(exc, connection):
        return ProviderError(name, "connection failed", retryable=True)
    return ProviderError(name, f"unexpected response: {type(exc).__name__}", retryable=True)


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """``Retry-After`` in seconds; None when absent or not a number (HTTP dates are ignored)."""
    value = headers.get("retry-after") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
