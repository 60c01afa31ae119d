"""Generated hostile input against every operation of the OpenAPI schema: never a 5xx, always the envelope.

schemathesis builds valid and invalid requests from the app's own schema (so a new route is covered
without touching this file), signed in as an admin and aimed at real resources, so requests reach the
handlers instead of stopping at 401 or 404. A second pass sends the classes that once gave 500s
(NUL and other control characters, bidi overrides, int64 overflow, deep JSON) to every field of every
operation.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis import Redis
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.openapi import from_asgi
from schemathesis.python import asgi
from schemathesis.specs.openapi.schemas import OpenApiSchema

from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.support.api import PASSWORD, Account, Client, bearer, create_user, signed_in

ENVELOPE_KEYS = {"code", "message", "request_id", "timestamp"}
HOSTILE_STRINGS = ("a\x00b", "\x1b[31mred", "a\u202eb", "line\nbreak", "2030-01-01T00:00:00")  # the last: no offset
HOSTILE_INTS = ("99999999999999999999", "9223372036854775808", "-99999999999999999999")
DEEP_JSON = b"[" * 5000 + b"]" * 5000


@pytest.fixture(scope="session")
def fuzz_app(settings: Settings) -> Iterator[Litestar]:
    """One app for every operation; schemathesis runs its lifespan on an event loop thread of its own."""
    app = create_app(settings)
    yield app
    asgi.shutdown_lifespans()


@pytest.fixture
def api_schema(fuzz_app: Litestar) -> OpenApiSchema:
    return from_asgi("/schema/openapi.json", fuzz_app)


@dataclass
class World:
    """A signed-in admin and one real resource of each kind for path parameters to point at."""

    admin: Account
    path_ids: dict[str, str]
    session: dict[str, str] = field(default_factory=dict)  # the admin's headers for the operation under test

    @property
    def headers(self) -> dict[str, str]:
        return self.admin.headers


async def _world(client: Client) -> World:
    admin = await signed_in(client, "fuzz-admin@example.org", Role.ADMIN)
    member = await create_user(client, "fuzz-member@example.org")
    collection = await client.post("/api/v1/collections", json={"name": "Fuzz"}, headers=admin.headers)
    collection_id = collection.json()["data"]["id"]
    document = await client.post(
        f"/api/v1/collections/{collection_id}/documents",
        json={"title": "Fuzz", "content": "Some text to fuzz around."},
        headers=admin.headers,
    )
    conversation = await client.post("/api/v1/conversations", json={"title": "Fuzz"}, headers=admin.headers)
    key = await client.post(
        "/api/v1/api-keys", json={"name": "fuzz", "scopes": ["documents:read"]}, headers=admin.headers
    )
    ids = {
        "collection_id": collection_id,
        "document_id": document.json()["data"]["id"],
        "conversation_id": conversation.json()["data"]["id"],
        "user_id": member,
        "key_id": key.json()["data"]["id"] if key.status_code == 201 else "",
    }
    return World(admin, {name: value for name, value in ids.items() if value})


@pytest.fixture
async def world(fuzz_app: Litestar) -> AsyncIterator[World]:
    async with AsyncTestClient(app=create_app(fuzz_app.state.settings)) as client:
        yield await _world(client)


def _assert_handled(status: int, body: bytes, what: str) -> None:
    assert status < 500, f"{what} -> {status}: {body[:500]!r}"
    if status >= 400:
        error = json.loads(body)["error"]
        assert error.keys() >= ENVELOPE_KEYS, f"{what} -> {status} without the error envelope: {body[:300]!r}"
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", error["code"]), error


def _fixed_path_parameters(operation: Any, world: World) -> dict[str, str] | None:
    if operation.method.upper() == "DELETE":  # deleting the shared resources would turn the rest into 404s
        return None
    names = re.findall(r"{(\w+)}", operation.path)
    return {name: world.path_ids[name] for name in names if name in world.path_ids} or None


def _fresh_sign_in(app: Litestar, world: World) -> dict[str, str]:
    """A new session per operation: fuzzed logout-all, throttled logins and the like must not starve the next."""
    with Redis.from_url(app.state.settings.require_redis_url) as redis:
        redis.flushdb()  # login throttles left by fuzzed logins
    with asgi.get_client(cast(Any, app)) as client:
        response = client.post(
            "http://testserver/api/v1/auth/login", json={"email": world.admin.email, "password": PASSWORD}
        )
    assert response.status_code == 200, response.text
    return bearer(response.json()["data"]["access_token"])


def test_generated_requests_never_give_a_server_error(
    fuzz_app: Litestar, api_schema: OpenApiSchema, world: World
) -> None:
    failures: list[str] = []
    results = list(api_schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "the schema has operations schemathesis cannot read"
    assert len(operations) > 40  # every route of the API, read from its schema
    for operation in operations:
        world.session = _fresh_sign_in(fuzz_app, world)
        fixed = _fixed_path_parameters(operation, world)
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed),
            operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed),
        )

        @given(cases)
        @settings(
            max_examples=20, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
        )
        def send(case: Any) -> None:
            response = case.call(headers=world.session)
            _assert_handled(response.status_code, response.content, f"{case.method} {case.formatted_path}")

        try:
            send()
        except AssertionError as failure:
            failures.append(str(failure).splitlines()[0])
    assert not failures, "\n".join(failures)


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = [option for option in schema[key] if option.get("type") != "null"]
            return _resolve(options[0], components) if options else schema
    return schema


def _sample(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A plausible value, so that the one hostile field is what the request is judged by."""
    schema = _resolve(schema, components)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "string":
        return {"date-time": "2030-01-01T00:00:00Z", "uuid": "01a2330b-98c8-735e-953b-e4fbec06c9ee"}.get(
            schema.get("format", ""), "fuzz@example.org"
        )
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if kind == "array":
        return [_sample(schema.get("items", {}), components)] if schema.get("minItems") else []
    properties = schema.get("properties", {})
    return {name: _sample(properties[name], components) for name in schema.get("required", []) if name in properties}


def _hostile(schema: dict[str, Any], components: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(where, value) pairs of hostile values for one schema, nested fields included."""
    schema = _resolve(schema, components)
    kind = schema.get("type")
    if kind == "string" and "enum" not in schema:
        yield from (("", value) for value in HOSTILE_STRINGS)
    elif kind == "integer":
        yield from (("", int(value)) for value in HOSTILE_INTS)
    elif kind == "array":
        yield from ((f"[0]{where}", [value]) for where, value in _hostile(schema.get("items", {}), components))
    elif kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        if not properties:  # free-form JSON such as metadata
            yield from (("", value) for value in ({"a\x00": 1}, {"k": ["a\x00"]}, {"k": {"\u202e": "\x1b"}}))
        base = _sample(schema, components)
        for name, subschema in properties.items():
            for where, value in _hostile(subschema, components):
                yield f".{name}{where}", {**base, name: value}


def test_hostile_values_in_every_field_of_every_operation_give_4xx(fuzz_app: Litestar, world: World) -> None:
    openapi = fuzz_app.openapi_schema.to_schema()
    components = openapi.get("components", {}).get("schemas", {})
    failures: list[str] = []
    sent = 0
    for path, methods in openapi["paths"].items():
        for method, spec in methods.items():
            if method.upper() == "DELETE":
                continue  # nothing to fuzz but ids, and the shared resources must live
            url = re.sub(r"{(\w+)}", lambda m: world.path_ids.get(m[1], "01a2330b-98c8-735e-953b-e4fbec06c9ee"), path)
            headers = _fresh_sign_in(fuzz_app, world)
            requests: list[tuple[str, dict[str, Any]]] = []
            for parameter in spec.get("parameters", []):
                if parameter["in"] == "query":
                    for value in (*HOSTILE_STRINGS, *HOSTILE_INTS):
                        requests.append((f"?{parameter['name']}={value!r}", {"params": {parameter["name"]: value}}))
            body = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body is not None:
                requests.append(("deep JSON", {"data": DEEP_JSON, "headers": {"content-type": "application/json"}}))
                for where, value in _hostile(body, components):
                    requests.append((f"body{where}={value!r}", {"json": value}))
            with asgi.get_client(cast(Any, fuzz_app)) as client:
                for label, arguments in requests:
                    merged = {**headers, **arguments.pop("headers", {})}
                    response = client.request(method.upper(), f"http://testserver{url}", headers=merged, **arguments)
                    sent += 1
                    try:
                        _assert_handled(response.status_code, response.content, f"{method.upper()} {path} {label}")
                    except AssertionError as failure:
                        failures.append(str(failure).splitlines()[0])
    assert sent > 200  # every operation got its share
    assert not failures, "\n".join(failures)
