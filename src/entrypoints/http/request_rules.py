"""Checks every request passes before any handler decodes it: JSON nesting depth, query strings, body types.

msgspec and the json module recurse per nesting level, so a body of a few thousand brackets raised
RecursionError (a 500) before any schema was consulted; no Lore body needs more than a few levels.
Litestar converts bodies in msgspec's lax mode (made for query strings), which takes ``"true"`` for a
boolean and ``"5"`` for an integer: a JSON body is checked strictly against its type first, so what
the OpenAPI schema calls a boolean is one.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import accumulate
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import ClientException, SerializationException
from litestar.handlers import HTTPRouteHandler

from domain.shared.errors import ValidationError
from entrypoints.http.errors import body_validation_error
from entrypoints.http.options import answer_options
from entrypoints.http.rate_limits import CHARGED_BY_HANDLER, charge, policy_for
from entrypoints.http.text_rules import line_problem, lines_problem

MAX_JSON_DEPTH = 32

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(raw: bytes) -> int:
    """Deepest bracket nesting outside strings, in linear time without decoding."""
    brackets = _STRING.sub(b"", _ESCAPE.sub(b"", raw)).translate(None, _NOT_BRACKET)
    return max(accumulate((_STEP[b] for b in brackets), initial=0))


def check_json_depth(raw: bytes | str, *, what: str = "The request body") -> None:
    data = raw.encode() if isinstance(raw, str) else raw
    if json_depth(data) > MAX_JSON_DEPTH:
        raise ClientException(f"{what} nests JSON deeper than {MAX_JSON_DEPTH} levels.")


# a GraphQL query over GET is a document: formatted over several lines (GraphQL's own rules refuse NUL)
_MULTI_LINE_PARAMETERS = {"/graphql": frozenset({"query", "variables", "operationName"})}


def check_query(request: Request[Any, Any, Any]) -> None:
    multi_line = _MULTI_LINE_PARAMETERS.get(request.url.path, frozenset())
    for name, value in request.query_params.multi_items():
        value_problem = lines_problem if name in multi_line else line_problem
        problem = line_problem("query parameter names", name) or value_problem(name, value)
        if problem:
            raise ValidationError(problem, details={"field": name, "source": "query"})


@cache
def _body_type(handler: HTTPRouteHandler) -> type[msgspec.Struct] | None:
    data = handler.parsed_fn_signature.parameters.get("data")
    kind = None if data is None else data.type_
    return kind if isinstance(kind, type) and issubclass(kind, msgspec.Struct) else None


async def check_body_types(request: Request[Any, Any, Any], raw: bytes) -> None:
    """The body's JSON types as its struct declares them (a malformed body is left to the handler's 400).

    The body is decoded once, by Litestar's own ``request.json()``, which caches it for the handler; the
    strict check converts that value (as strict as decoding into the type, at a fraction of the cost).
    """
    handler = request.route_handler
    kind = _body_type(handler) if isinstance(handler, HTTPRouteHandler) and raw.strip() else None
    if kind is None:
        return
    try:
        value = await request.json()
    except SerializationException:
        return  # malformed: the handler's 400
    try:
        msgspec.convert(value, kind, strict=True)
    except msgspec.ValidationError as exc:
        # JSON (and the OpenAPI schema) counts 5.0 as an integer; strict msgspec does not
        try:
            msgspec.convert(_integral_floats_as_ints(value), kind, strict=True)
        except msgspec.ValidationError:
            raise body_validation_error(exc) from None


def _integral_floats_as_ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral_floats_as_ints(item) for item in value]
    if isinstance(value, dict):
        return {key: _integral_floats_as_ints(item) for key, item in value.items()}
    return value


# Form bodies are parsed by their own parsers (uploads check their ``metadata`` field themselves); a deep
# JSON body merely labelled as a form still meets ``malformed_on_recursion`` in the error handlers.
_FORM_MEDIA = ("multipart/", "application/x-www-form-urlencoded")


async def screen_request(request: Request[Any, Any, Any]) -> Response[None] | None:
    """Litestar ``before_request`` hook: runs before parameters and the body are decoded."""
    if request.method == "OPTIONS":
        return answer_options(request)
    try:
        await _screen(request)
    except Exception:
        path = request.url.path
        if path in CHARGED_BY_HANDLER:  # its handler charges it, but a refused request never gets there
            settings = request.app.state.settings
            await charge(request, policy_for(settings, request.method, path), None)
        raise
    return None


async def _screen(request: Request[Any, Any, Any]) -> None:
    check_query(request)
    media = request.headers.get("content-type", "").lower()
    if request.method not in ("GET", "HEAD", "OPTIONS") and not media.startswith(_FORM_MEDIA):
        raw = await request.body()  # cached for the handler
        check_json_depth(raw)
        await check_body_types(request, raw)
