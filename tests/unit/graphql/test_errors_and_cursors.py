"""How GraphQL errors are told to the client, and what a cursor may be."""

from __future__ import annotations

import logging

import pytest
from graphql import GraphQLError

from domain.knowledge.errors import CollectionNotFoundError
from domain.shared.errors import RateLimitedError, ValidationError
from entrypoints.graphql.errors import describe
from entrypoints.graphql.pagination import decode_cursor, encode_cursor, page_request
from entrypoints.http.errors import GENERIC_MESSAGE


def _raised(original: Exception, path: list[str | int] | None = None) -> GraphQLError:
    return GraphQLError(str(original), original_error=original, path=path if path is not None else ["field"])


def test_a_domain_error_keeps_its_code_message_and_details() -> None:
    error = _raised(CollectionNotFoundError())
    describe(error, "req-1", "Op")
    assert error.extensions == {"code": "COLLECTION_NOT_FOUND", "request_id": "req-1"}
    limited = _raised(RateLimitedError(7, "Slow down."))
    describe(limited, None, None)
    assert limited.message == "Slow down."
    assert limited.extensions == {"code": "RATE_LIMITED", "details": {"retry_after": 7}, "retry_after": 7}


def test_an_unexpected_error_is_internal_with_the_generic_message_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    error = _raised(RuntimeError("SELECT secret FROM users WHERE password = 'x'"))
    with caplog.at_level(logging.ERROR, logger="lore.graphql"):
        describe(error, "req-2", "Leaky")
    assert error.message == GENERIC_MESSAGE
    assert error.extensions == {"code": "INTERNAL_ERROR", "request_id": "req-2"}
    assert "secret" not in str(error.formatted)
    (record,) = caplog.records
    assert "Leaky" in record.getMessage()
    assert record.exc_info is not None


def test_a_store_that_cannot_be_reached_is_service_unavailable() -> None:
    import redis.exceptions

    error = _raised(redis.exceptions.ConnectionError("Connection refused"))
    describe(error, None, None)
    assert error.extensions is not None
    assert error.extensions["code"] == "SERVICE_UNAVAILABLE"
    assert error.extensions["retry_after"] >= 1


def test_document_errors_are_malformed_or_validation_errors() -> None:
    syntax = GraphQLError("Syntax Error: Expected Name, found <EOF>.")
    describe(syntax, None, None)
    assert syntax.extensions == {"code": "MALFORMED_REQUEST"}
    coded = GraphQLError("Too costly.", extensions={"code": "QUERY_TOO_COMPLEX"})
    describe(coded, None, None)
    assert coded.extensions == {"code": "QUERY_TOO_COMPLEX"}
    coercion = GraphQLError("Variable '$n' got invalid value.", original_error=GraphQLError("Int cannot represent"))
    describe(coercion, None, None)
    assert coercion.extensions == {"code": "VALIDATION_ERROR"}


def test_cursors_round_trip_and_anything_else_is_invalid() -> None:
    assert decode_cursor(encode_cursor(41)) == 41
    assert page_request(5, encode_cursor(9), "name", ("name",)).offset == 10
    for bad in ("", "x" * 65, "bG9yZTp4", "bm9wZTox", "%%%", encode_cursor(10**12), "bG9yZTrCsg", "bG9yZTotMQ"):
        with pytest.raises(ValidationError) as caught:
            decode_cursor(bad)
        assert caught.value.code == "INVALID_CURSOR"


def test_a_document_nested_past_the_parsers_stack_is_malformed() -> None:
    error = GraphQLError("maximum recursion depth exceeded", original_error=RecursionError("deep"))
    describe(error, None, None)
    assert error.message == "The document nests too deeply."
    assert error.extensions == {"code": "MALFORMED_REQUEST"}
