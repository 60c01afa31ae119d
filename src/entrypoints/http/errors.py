"""Every error leaves as the envelope the README documents; 500s reveal nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from domain.shared.errors import (
    AuthenticationError,
    ConflictError,
    DependencyUnavailableError,
    DomainError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitedError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from entrypoints.bootstrap.outages import failed_dependency, unavailable
from entrypoints.http.request_id import request_id_from_scope
from entrypoints.http.schemas import ErrorBody, ErrorEnvelope
from entrypoints.http.text_rules import EXPLAINED

logger = logging.getLogger("lore.http")

GENERIC_MESSAGE = "An unexpected error occurred"

_DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFoundError, 404),
    (ConflictError, 409),
    (ValidationError, 422),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (RateLimitedError, 429),
    (DependencyUnavailableError, 503),
    (PayloadTooLargeError, 413),
    (UnsupportedMediaTypeError, 415),
)

_HTTP_CODES = {
    400: "MALFORMED_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}


# RFC 6750 section 3: a client tells "refresh now" (expired) from "sign in again" without reading the body
_BEARER_CHALLENGES = {
    "INVALID_TOKEN": 'Bearer error="invalid_token"',
    "TOKEN_EXPIRED": 'Bearer error="invalid_token", error_description="expired"',
}


def error_response(
    request: Request[Any, Any, Any],
    status_code: int,
    code: str,
    message: str,
    *,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[ErrorEnvelope]:
    body = ErrorEnvelope(
        error=ErrorBody(
            code=code,
            message=message,
            details=details or msgspec.UNSET,
            request_id=request_id_from_scope(request.scope),
            timestamp=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        )
    )
    all_headers = dict(headers or {})
    if status_code == 401:
        all_headers.setdefault("WWW-Authenticate", "Bearer")
    return Response(body, status_code=status_code, headers=all_headers, media_type=MediaType.JSON)


def _domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[ErrorEnvelope]:
    status = next((code for kind, code in _DOMAIN_STATUS if isinstance(exc, kind)), 400)
    if isinstance(exc, DependencyUnavailableError) and "dependency" in exc.details:
        _log_outage(request, exc.details["dependency"], exc.__cause__ or exc)
    headers = {}
    if (challenge := _BEARER_CHALLENGES.get(exc.code)) is not None:
        headers["WWW-Authenticate"] = challenge
    if isinstance(exc, RateLimitedError | DependencyUnavailableError):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    return error_response(request, status, exc.code, exc.message, details=exc.details, headers=headers)


def _explained(message: str) -> str:
    """msgspec quotes the regex a string broke; say in words which characters are refused."""
    for pattern, meaning in EXPLAINED.items():
        message = message.replace(f"Expected `str` matching regex {pattern!r}", meaning[0].upper() + meaning[1:])
    return message


def _validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[ErrorEnvelope]:
    """Well-formed input that breaks the schema (bad JSON syntax arrives as a plain 400 instead)."""
    errors = msgspec.to_builtins(exc.extra) if isinstance(exc.extra, list) else []
    for error in errors:
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            error["message"] = _explained(error["message"])
            if error["message"] == "'data'" and error.get("source") == "body":  # no body: Litestar says only "'data'"
                error["message"] = "A JSON request body is required."
    return error_response(request, 422, "VALIDATION_ERROR", "The request is not valid.", details={"errors": errors})


def body_validation_error(exc: msgspec.ValidationError) -> ValidationError:
    """A msgspec error of a body decoded by hand, reported like the ones Litestar decodes."""
    message, _, path = str(exc).partition(" - at `$.")
    key = path.rstrip("`") or None
    error = {"message": _explained(message), "source": "body"} | ({"key": key} if key else {})
    return ValidationError("The request is not valid.", details={"errors": [error]})


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorEnvelope]:
    status = exc.status_code
    if status >= 500 and status != 503:
        return _unhandled(request, exc)
    code = _HTTP_CODES.get(status, f"HTTP_{status}")
    headers = dict(exc.headers or {})
    return error_response(request, status, code, str(exc.detail), headers=headers)


def _malformed_on_recursion(request: Request[Any, Any, Any], exc: RecursionError) -> Response[ErrorEnvelope]:
    """A decoder ran out of stack: the body nests too deeply (the depth screen only sees JSON-labelled bodies)."""
    return error_response(request, 400, "MALFORMED_REQUEST", "The request body nests too deeply.")


def _log_outage(request: Request[Any, Any, Any], dependency: str, cause: BaseException) -> None:
    """One line, no traceback: the store being down is the whole story."""
    logger.warning(
        "%s unavailable on %s %s: %s",
        dependency,
        request.method,
        request.url.path,
        type(cause).__name__,
        extra={"dependency": dependency},
    )


def _unhandled(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorEnvelope]:
    dependency = failed_dependency(exc)
    if dependency is not None:  # a driver's connection error no adapter translated: still an outage, not a bug
        outage = unavailable(dependency)
        outage.__cause__ = exc
        return _domain_error(request, outage)
    logger.error(
        "unhandled error on %s %s",
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", GENERIC_MESSAGE)


def exception_handlers() -> ExceptionHandlersMap:
    return {
        DomainError: _domain_error,
        ValidationException: _validation_error,
        HTTPException: _http_error,
        RecursionError: _malformed_on_recursion,
        Exception: _unhandled,
    }


# what the OpenAPI document says a status means, where one code is not the whole story
_RESPONSE_DESCRIPTIONS = {
    401: "UNAUTHENTICATED (no credentials), INVALID_TOKEN (sign in again) or TOKEN_EXPIRED (refresh the access "
    'token); WWW-Authenticate: Bearer error="invalid_token" names the last two',
}


def error_responses(*status_codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI descriptions of the envelope for the given statuses, and 503: every operation needs a store."""
    return {
        status: ResponseSpec(
            data_container=ErrorEnvelope,
            description=_RESPONSE_DESCRIPTIONS.get(status, _HTTP_CODES.get(status, "Error")),
            generate_examples=False,
        )
        for status in sorted({*status_codes, 503})
    }
