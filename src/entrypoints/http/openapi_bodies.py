"""OpenAPI request bodies for handlers that decode their body by hand (JSON or multipart uploads).

Litestar documents only bodies it decodes; without these the schema would claim the upload takes no
body, and clients and the schema-driven fuzz test would never send one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema


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


def schema_of(struct: type[msgspec.Struct], **extra_properties: Schema) -> Schema:
    """The msgspec JSON schema of ``struct`` as Litestar's OpenAPI objects, references inlined."""
    generated = msgspec.json.schema(struct)
    schema = _schema(generated, generated.get("$defs", {}))
    if extra_properties:
        schema.properties = {**(schema.properties or {}), **extra_properties}
        schema.required = sorted({*(schema.required or []), *extra_properties})
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
