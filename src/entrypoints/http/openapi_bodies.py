"""OpenAPI request bodies for handlers that decode their body by hand (JSON or multipart uploads).

Litestar documents only bodies it decodes; without these the schema would claim the upload takes no
body, and clients and the schema-driven fuzz test would never send one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, RequestBody, Schema


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def _schema(node: dict[str, Any], defs: dict[str, Any]) -> Schema:
    if "$ref" in node:
        node = {**defs[node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
    fields: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$defs":
            continue
        if key == "properties":
            fields[key] = {name: _schema(sub, defs) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            fields[_snake(key)] = _schema(value, defs)
        elif key in ("anyOf", "oneOf", "allOf"):
            fields[_snake(key)] = [_schema(sub, defs) for sub in value]
        else:
            fields[_snake(key)] = value
    return Schema(**fields)


def schema_of(struct: Any, **extra_properties: Schema) -> Schema:
    """The msgspec JSON schema of ``struct`` as Litestar's OpenAPI objects, references inlined.

    ``extra_properties`` add required fields, or redocument fields of the struct (which stay optional).
    """
    generated = msgspec.json.schema(struct)
    schema = _schema(generated, generated.get("$defs", {}))
    if extra_properties:
        added = {name for name in extra_properties if name not in (schema.properties or {})}
        schema.properties = {**(schema.properties or {}), **extra_properties}
        schema.required = sorted({*(schema.required or []), *added})
    return schema


def operation_with_body(content: dict[str, Schema]) -> type[Operation]:
    """An ``operation_class`` for a route handler whose body Litestar does not decode."""

    @dataclass
    class _WithBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                required=True, content={media: OpenAPIMediaType(schema=schema) for media, schema in content.items()}
            )

    return _WithBody


SSE_DESCRIPTION = (
    "Server-Sent Events: `data:` lines of JSON, `{content, done: false}` deltas, then one event with "
    "`done: true` (citations, usage, model) or with `error`."
)


_SSE_EVENT = Schema(  # one event of the stream, as SSE parsers (and OpenAPI 3.2's itemSchema) see it
    type=OpenAPIType.OBJECT,
    properties={"data": Schema(type=OpenAPIType.STRING, content_media_type="application/json")},
    required=["data"],
    description=SSE_DESCRIPTION,
)


def streamed_or_whole(whole: Any) -> type[Operation]:
    """An ``operation_class`` for a 200 that is either JSON (``whole``, a msgspec type) or an SSE stream."""

    @dataclass
    class _StreamedOrWhole(Operation):
        def __post_init__(self) -> None:
            response = (self.responses or {}).get("200")
            if isinstance(response, OpenAPIResponse):
                response.content = {
                    "application/json": OpenAPIMediaType(schema=schema_of(whole)),
                    "text/event-stream": OpenAPIMediaType(schema=_SSE_EVENT),
                }

    return _StreamedOrWhole
