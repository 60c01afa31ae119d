"""What the OpenAPI document says beyond the handlers' signatures, applied to every operation at once.

Each rule here closed a gap that schemathesis (tests/e2e/test_contract.py) found between the schema and
the answers: bodies that refuse unknown fields say so, every error is the envelope, path ids that do
not parse answer 404, callers see which credentials an operation takes, and descriptions come from the
use case the handler runs.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, get_args, get_origin, get_type_hints

from litestar import Litestar
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme
from litestar.routes import HTTPRoute

from entrypoints.http.conditional import is_conditional
from entrypoints.http.errors import error_responses

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.handlers import HTTPRouteHandler
    from litestar.openapi.spec import Schema
    from litestar.typing import FieldDefinition

ACCESS_TOKEN = "accessToken"  # noqa: S105 - the scheme's name, not a secret
API_KEY = "apiKey"
SECURITY_SCHEMES = Components(
    security_schemes={
        ACCESS_TOKEN: SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="JWT",
            description="An access token from `POST /api/v1/auth/login` or `/auth/refresh`.",
        ),
        API_KEY: SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="lore_<prefix>_<secret>",
            description="An API key from `POST /api/v1/api-keys`, sent as `Authorization: Bearer <key>`.",
        ),
    }
)


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """msgspec's schema plugin, plus ``additionalProperties: false`` where the struct forbids unknown fields."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        config = getattr(field_definition.type_, "__struct_config__", None)
        if config is not None and config.forbid_unknown_fields:
            schema_creator.schema_registry.get_schema_for_field_definition(
                field_definition
            ).additional_properties = False
        return schema


def security_for(*, interactive: bool) -> list[SecurityRequirement]:
    """What a protected operation accepts; public ones list none."""
    if interactive:
        return [{ACCESS_TOKEN: []}]
    return [{ACCESS_TOKEN: []}, {API_KEY: []}]


def _use_case_doc(handler: HTTPRouteHandler) -> str | None:
    """The docstring of the first application-layer class the handler has injected (its use case)."""
    fn = inspect.unwrap(handler.fn)
    try:
        hints = get_type_hints(fn, include_extras=True)
    except (NameError, TypeError):  # pragma: no cover - a handler annotated with a name not importable here
        return None
    for hint in hints.values():
        kind = get_args(hint)[0] if get_origin(hint) is not None and get_args(hint) else hint
        if inspect.isclass(kind) and kind.__module__.startswith("application.") and kind.__doc__:
            return inspect.cleandoc(kind.__doc__)
    return None


def describe(handler: HTTPRouteHandler) -> None:
    """Opens the operation description with the handler's docstring, else its use case's (once: handlers are shared)."""
    fn = inspect.unwrap(handler.fn)
    doc = inspect.cleandoc(fn.__doc__) if fn.__doc__ else _use_case_doc(handler)
    if doc and doc not in (handler.description or ""):
        handler.description = "\n\n".join(filter(None, [doc, handler.description]))


def document_contract(app: Litestar, prefix: str) -> None:
    """Every operation under ``prefix``: its description, and its 400 and (with path ids) 404 as the envelope.

    Litestar documents a bad body or parameter as its own ``{detail, status_code}`` 400; ours answers
    the envelope. A path id that is not a UUID matches no route, so it answers 404, not 400.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path_format.startswith(prefix):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            statuses = [400, 429, 404] if route.path_parameters else [400, 429]  # 429: every API route is limited
            conditional: dict[int, ResponseSpec] = {}
            if is_conditional(route.path_format) and "PATCH" in handler.http_methods:
                statuses.append(412)
            if is_conditional(route.path_format) and "GET" in handler.http_methods:
                conditional[304] = ResponseSpec(data_container=None, description="Not modified (If-None-Match)")
            handler.responses = {**error_responses(*statuses), **conditional, **(handler.responses or {})}
            describe(handler)
