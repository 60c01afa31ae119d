"""POST/GET /graphql over the real app: the caller, REST's error codes, scopes, rate limits and size limits."""

from __future__ import annotations

from domain.identity.roles import Role
from tests.e2e.graphql.support import api_key, error_codes, gql
from tests.support.api import Client, assert_error, signed_in


async def test_the_viewer_is_the_caller_of_the_bearer_token(client: Client) -> None:
    alice = await signed_in(client, "alice@example.org")
    result = await gql(client, "query Me { viewer { id email displayName role } }", headers=alice.headers)
    assert result == {
        "data": {"viewer": {"id": alice.id, "email": "alice@example.org", "displayName": "alice", "role": "MEMBER"}}
    }


async def test_queries_also_run_over_get_and_mutations_do_not(client: Client) -> None:
    alice = await signed_in(client, "alice@example.org")
    response = await client.get("/graphql", params={"query": "{ viewer { id } }"}, headers=alice.headers)
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"id": alice.id}}}
    assert response.headers["ratelimit-policy"].startswith('"read"')
    assert response.headers["cache-control"] == "no-store"  # the viewer's email stays off shared caches
    refused = await client.get("/graphql", params={"query": "mutation { nothing }"}, headers=alice.headers)
    assert_error(refused, 400, "MALFORMED_REQUEST")


async def test_without_credentials_every_field_is_unauthenticated_with_the_request_id(client: Client) -> None:
    response = await client.post("/graphql", json={"query": "{ viewer { id } collections { totalCount } }"})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"viewer": None, "collections": None}
    assert {e["extensions"]["code"] for e in body["errors"]} == {"UNAUTHENTICATED"}
    assert {e["extensions"]["request_id"] for e in body["errors"]} == {response.headers["x-request-id"]}
    forged = {"Authorization": "Bearer not-a-token"}
    bad = await gql(client, "{ viewer { id } }", headers=forged)
    rest = await client.get("/api/v1/users/me", headers=forged)
    assert error_codes(bad) == [rest.json()["error"]["code"]] == ["INVALID_TOKEN"]


async def test_document_errors_are_malformed_or_validation_errors(client: Client) -> None:
    alice = await signed_in(client, "alice@example.org")
    syntax = await gql(client, "{ viewer { id ", headers=alice.headers)
    assert error_codes(syntax) == ["MALFORMED_REQUEST"]
    unknown = await gql(client, "{ viewer { password } }", headers=alice.headers)
    assert error_codes(unknown) == ["VALIDATION_ERROR"]
    assert "password" in unknown["errors"][0]["message"]
    bad_id = await gql(client, '{ collection(id: "nope") { id } }', headers=alice.headers)
    assert error_codes(bad_id) == ["VALIDATION_ERROR"]
    assert bad_id["errors"][0]["extensions"]["details"] == {"field": "id"}


async def test_transport_errors_answer_in_the_rest_envelope(client: Client) -> None:
    cases = [
        (b"{not json", "application/json", 400, "MALFORMED_REQUEST"),
        (b'{"query": "\xff\xfe"}', "application/json", 400, "MALFORMED_REQUEST"),
        (b'{"query": "{ viewer { id } }\\u0000"}', "application/json", 200, ""),
        (b'"just a string"', "application/json", 400, "MALFORMED_REQUEST"),
        (b"[1, 2]", "application/json", 400, "MALFORMED_REQUEST"),
        (b'{"query": 5}', "application/json", 400, "MALFORMED_REQUEST"),
        (b'{"query": "{ viewer { id } }"}', "text/plain", 400, "MALFORMED_REQUEST"),
        (b"{}", "application/json", 400, "MALFORMED_REQUEST"),
    ]
    for body, media, status, code in cases:
        response = await client.post("/graphql", content=body, headers={"content-type": media})
        if status == 200:  # a well-formed request: the document's own errors, never a 5xx
            assert response.json()["errors"], response.text
        else:
            assert_error(response, status, code)


async def test_an_api_key_answers_for_its_scopes_only(client: Client) -> None:
    admin = await signed_in(client, "root@example.org", Role.ADMIN)
    reader = await api_key(client, admin, ["documents:read"])
    result = await gql(client, "{ viewer { id } collections { totalCount } usage { usedTokens } }", headers=reader)
    assert result["data"]["viewer"] == {"id": admin.id}
    assert result["data"]["collections"] == {"totalCount": 0}
    assert result["data"]["usage"] is None
    (denied,) = result["errors"]
    assert denied["path"] == ["usage"]
    assert denied["extensions"]["code"] == "FORBIDDEN"
    assert denied["extensions"]["details"]["missing_scope"] == "assistant:use"


async def test_a_member_is_refused_admin_lists_like_over_rest(client: Client) -> None:
    bob = await signed_in(client, "bob@example.org")
    result = await gql(client, "{ users { totalCount } auditEvents { totalCount } }", headers=bob.headers)
    assert result["data"] == {"users": None, "auditEvents": None}
    assert error_codes(result) == ["FORBIDDEN", "FORBIDDEN"]
    rest = await client.get("/api/v1/users", headers=bob.headers)
    assert_error(rest, 403, "FORBIDDEN")


async def test_each_root_field_is_charged_to_the_rest_policy_and_answers_rate_limited(throttled_client: Client) -> None:
    limited_client = throttled_client
    alice = await signed_in(limited_client, "alice@example.org")  # a POST: write, 1 of 3
    first = await gql(limited_client, "{ a: viewer { id } b: viewer { id } }", headers=alice.headers)
    assert "errors" not in first
    third = await gql(limited_client, "{ a: viewer { id } b: viewer { id } }", headers=alice.headers)
    assert third["data"]["a"] == {"id": alice.id}
    assert third["data"]["b"] is None
    (limited,) = third["errors"]
    assert limited["extensions"]["code"] == "RATE_LIMITED"
    assert limited["extensions"]["retry_after"] >= 1
    # the same read bucket as REST: the REST read is refused too
    assert_error(await limited_client.get("/api/v1/users/me", headers=alice.headers), 429, "RATE_LIMITED")


async def test_a_body_over_the_limit_is_413(limited_client: Client) -> None:
    response = await limited_client.post(
        "/graphql", json={"query": "{ viewer { id } }", "variables": {"x": "a" * 5000}}
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_a_document_that_reaches_no_field_still_costs_its_request(throttled_client: Client) -> None:
    limited_client = throttled_client
    statuses = []
    for _ in range(4):  # the write policy allows 3 a window in this app
        response = await limited_client.post("/graphql", json={"query": "{ viewer {"})
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]
    assert_error(response, 429, "RATE_LIMITED")


async def test_a_query_over_get_may_span_lines_but_not_hold_nul(client: Client) -> None:
    alice = await signed_in(client, "alice@example.org")
    query = "query Me($v: Boolean = true) {\n\tviewer @include(if: $v) {\r\n    id\n  }\n}\n"
    params = {"query": query, "variables": '{\n  "v": true\n}', "operationName": "Me"}
    response = await client.get("/graphql", params=params, headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"viewer": {"id": alice.id}}}
    nul = await client.get("/graphql", params={"query": "{ viewer { id\x00 } }"}, headers=alice.headers)
    assert_error(nul, 422, "VALIDATION_ERROR")
    elsewhere = await client.get("/graphql", params={"query": "{ viewer { id } }", "x": "a\nb"})
    assert_error(elsewhere, 422, "VALIDATION_ERROR")  # other parameters keep the single-line rule


async def test_requests_refused_before_the_handler_are_charged_too(throttled_client: Client) -> None:
    reads = [
        (await throttled_client.get("/graphql", params={"query": "{ viewer { id\x00 } }"})).status_code
        for _ in range(4)
    ]
    assert reads == [422, 422, 422, 429]
    big = {"query": "{ viewer { id } }", "variables": {"x": "a" * 5000}}
    writes = [(await throttled_client.post("/graphql", json=big)).status_code for _ in range(4)]
    assert writes == [413, 413, 413, 429]
