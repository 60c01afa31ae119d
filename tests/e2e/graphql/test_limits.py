"""What one document may ask for: clear errors for depth, aliases, cost, size and introspection; never a 5xx."""

from __future__ import annotations

import json

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.graphql.support import error_codes, gql
from tests.support.api import Client, signed_in


async def test_depth_aliases_and_cost_have_their_own_clear_errors(limited_client: Client) -> None:
    alice = await signed_in(limited_client, "alice@example.org")
    deep = "{ collections { edges { node { documents { edges { node { chunks { edges { node { text } } } } } } } } } }"
    result = await gql(limited_client, deep, headers=alice.headers)
    assert error_codes(result) == ["VALIDATION_ERROR"]
    assert "exceeds maximum operation depth of 6" in result["errors"][0]["message"]
    aliases = "{ a: viewer { id } b: viewer { id } c: viewer { id } d: viewer { id } }"
    result = await gql(limited_client, aliases, headers=alice.headers)
    assert error_codes(result) == ["VALIDATION_ERROR"]
    assert "aliases" in result["errors"][0]["message"]
    costly = "query C($n: Int!) { collections(first: $n) { edges { node { documents(first: $n) { totalCount } } } } }"
    result = await gql(limited_client, costly, {"n": 30}, headers=alice.headers)
    assert error_codes(result) == ["QUERY_TOO_COMPLEX"]
    assert "above the limit of 500" in result["errors"][0]["message"]
    defaulted = (
        "query D($n: Int = 30) { collections(first: $n) { edges { node { documents(first: $n) { totalCount } } } } }"
    )
    assert error_codes(await gql(limited_client, defaulted, headers=alice.headers)) == ["QUERY_TOO_COMPLEX"]
    fragments = (
        "query F { collections(first: 30) { ...Docs } } "
        "fragment Docs on CollectionConnection "
        "{ edges { node { ... on Collection { documents(first: 30) { totalCount } } } } }"
    )
    assert error_codes(await gql(limited_client, fragments, headers=alice.headers)) == ["QUERY_TOO_COMPLEX"]
    cheap = await gql(limited_client, costly, {"n": 5}, headers=alice.headers)
    assert cheap["data"] == {"collections": {"edges": []}}
    tokens = "{ viewer { " + "id " * 500 + "} }"
    result = await gql(limited_client, tokens, headers=alice.headers)
    assert error_codes(result) == ["MALFORMED_REQUEST"] or error_codes(result) == ["VALIDATION_ERROR"]
    assert "token" in result["errors"][0]["message"].lower()


async def test_introspection_follows_the_setting(client: Client, limited_client: Client) -> None:
    query = "{ __schema { queryType { name } } }"
    assert (await gql(client, query))["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    refused = await gql(limited_client, query)
    assert set(error_codes(refused)) == {"VALIDATION_ERROR"}
    assert "introspection" in refused["errors"][0]["message"].lower()


async def test_nul_characters_huge_numbers_and_deep_json_are_client_errors(client: Client) -> None:
    alice = await signed_in(client, "alice@example.org")
    nul = await gql(client, '{ search(query: "a\\u0000b") { mode } }', headers=alice.headers)
    assert error_codes(nul) == ["VALIDATION_ERROR"]
    via_variable = await gql(
        client, "query S($q: String!) { search(query: $q) { mode } }", {"q": "a\x00b"}, headers=alice.headers
    )
    assert error_codes(via_variable) == ["VALIDATION_ERROR"]
    huge = await gql(client, "{ collections(first: 99999999999999999999) { totalCount } }", headers=alice.headers)
    assert error_codes(huge) == ["VALIDATION_ERROR"]
    big_variable = await gql(
        client, "query P($n: Int!) { collections(first: $n) { totalCount } }", {"n": 10**30}, headers=alice.headers
    )
    assert error_codes(big_variable) == ["VALIDATION_ERROR"]
    nested_json = '{"query": "{ viewer { id } }", "variables": ' + "[" * 5000 + "]" * 5000 + "}"
    response = await client.post("/graphql", content=nested_json, headers={"content-type": "application/json"})
    assert response.status_code == 400
    deep_query = "{ viewer " + "{ id " * 3000 + "}" * 3000 + " }"
    result = await gql(client, deep_query, headers=alice.headers)
    assert result["errors"]
    assert result["data"] is None
    long_get = await client.get("/graphql", params={"query": "{ viewer { " + "id " * 15_000 + "} }"})
    assert long_get.status_code < 500
    if long_get.status_code == 200:
        assert "token" in long_get.json()["errors"][0]["message"].lower()
    long_post = await gql(client, "{ viewer { " + "id " * 20_000 + "} }", headers=alice.headers)
    assert "token" in long_post["errors"][0]["message"].lower()


async def test_the_operation_is_one_span_named_after_it(client: Client, spans: InMemorySpanExporter) -> None:
    alice = await signed_in(client, "alice@example.org")
    spans.clear()
    await gql(client, "query WhoAmI { viewer { id } }", headers=alice.headers)
    finished = spans.get_finished_spans()
    (operation,) = [s for s in finished if s.name == "query WhoAmI"]
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == "WhoAmI"
    (server,) = [s for s in finished if s.kind is SpanKind.SERVER]
    assert server.name == "POST /graphql"
    assert operation.parent is not None
    assert operation.parent.span_id == server.context.span_id
    assert not [s for s in finished if s.name.startswith("resolve ")]  # resolver spans are off by default


async def test_resolver_spans_are_made_when_configured(settings: Settings, spans: InMemorySpanExporter) -> None:
    traced = msgspec.structs.replace(settings, graphql_trace_resolvers=True)
    async with AsyncTestClient(app=create_app(traced)) as client:
        alice = await signed_in(client, "alice@example.org")
        spans.clear()
        result = await gql(client, "query Mine { viewer { email } collections { totalCount } }", headers=alice.headers)
    assert "errors" not in result
    names = {s.name for s in spans.get_finished_spans()}
    assert {"query Mine", "resolve Query.viewer", "resolve Query.collections", "resolve User.email"} <= names


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=200), variables=_JSON)
async def test_arbitrary_documents_and_variables_never_answer_5xx(
    client: Client, query: str, variables: object
) -> None:
    body = json.dumps({"query": query, "variables": variables})
    response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text
    payload = response.json()
    if response.status_code == 200:
        assert all(error["extensions"]["code"] != "INTERNAL_ERROR" for error in payload.get("errors", []))
    else:
        assert payload["error"]["code"]
