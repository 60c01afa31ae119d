"""GraphQL ``errors[]`` in the REST API's words: ``extensions.code`` is the REST error code, never a traceback.

A use case's ``DomainError`` keeps its code, message and details; an error of the document itself (syntax,
unknown field, a limit) is ``MALFORMED_REQUEST`` or ``VALIDATION_ERROR``; anything else is ``INTERNAL_ERROR``
with the generic message, logged here with its traceback for the operator.
"""

import logging

from graphql import GraphQLError
from strawberry import Schema
from strawberry.types import ExecutionContext

from domain.shared.errors import DependencyUnavailableError, DomainError, RateLimitedError
from entrypoints.bootstrap.outages import failed_dependency, unavailable
from entrypoints.graphql.context import GraphQLContext
from entrypoints.http.errors import GENERIC_MESSAGE

logger = logging.getLogger("lore.graphql")


def _request_id(execution_context: ExecutionContext | None) -> str | None:
    context = execution_context.context if execution_context is not None else None
    return context.request_id if isinstance(context, GraphQLContext) else None


def _domain_error(original: BaseException | None) -> DomainError | None:
    if isinstance(original, DomainError):
        return original
    if original is not None and (dependency := failed_dependency(original)) is not None:
        return unavailable(dependency)  # a driver's connection error no adapter translated: an outage, not a bug
    return None


def _input_error(error: GraphQLError, original: BaseException) -> bool:
    """A variable or argument value its type refuses (an Int past 32 bits, a malformed scalar): the client's."""
    return isinstance(original, GraphQLError) or (error.path is None and isinstance(original, ValueError | TypeError))


def describe(error: GraphQLError, request_id: str | None, operation: str | None) -> None:
    """Rewrites ``error`` in place into what the client may see."""
    original = error.original_error
    extensions: dict[str, object] = {}
    domain = _domain_error(original)
    if domain is not None:
        error.message = domain.message
        extensions["code"] = domain.code
        if domain.details:
            extensions["details"] = domain.details
        if isinstance(domain, RateLimitedError | DependencyUnavailableError):
            extensions["retry_after"] = domain.retry_after_seconds
    elif isinstance(original, RecursionError) and error.path is None:  # the parser ran out of stack
        error.message = "The document nests too deeply."
        extensions["code"] = "MALFORMED_REQUEST"
    elif original is None or _input_error(error, original):
        known = (error.extensions or {}).get("code")
        if isinstance(known, str):
            extensions["code"] = known
        elif error.message.startswith("Syntax Error"):
            extensions["code"] = "MALFORMED_REQUEST"
        else:
            extensions["code"] = "VALIDATION_ERROR"
    else:
        logger.error(
            "unhandled error in GraphQL operation %s at %s",
            operation or "(anonymous)",
            ".".join(str(part) for part in error.path or ()),
            exc_info=(type(original), original, original.__traceback__),
        )
        error.message = GENERIC_MESSAGE
        extensions["code"] = "INTERNAL_ERROR"
    if request_id is not None:
        extensions["request_id"] = request_id
    error.extensions = extensions


class LoreSchema(Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        request_id = _request_id(execution_context)
        operation = execution_context.operation_name if execution_context is not None else None
        for error in errors:
            describe(error, request_id, operation)
