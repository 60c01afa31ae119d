"""The query fields over HTTP: the same answers and the same denials as the REST calls they stand for."""

from __future__ import annotations

from typing import Any

from domain.identity.roles import Role
from tests.e2e.graphql.support import error_codes, gql
from tests.e2e.knowledge_support import add_text, new_collection
from tests.support.api import Account, Client, signed_in


async def _alices_things(client: Client) -> tuple[Account, dict[str, str]]:
    alice = await signed_in(client, "alice@example.org", Role.EDITOR)
    collection_id = await new_collection(client, alice)
    added = await add_text(client, alice, collection_id, "Travel", "Hotels are booked by the office.")
    assert added.status_code == 202, added.text
    conversation = await client.post("/api/v1/conversations", json={"title": "Trips"}, headers=alice.headers)
    assert conversation.status_code == 201, conversation.text
    ids = {
        "collection": collection_id,
        "document": added.json()["data"]["id"],
        "conversation": conversation.json()["data"]["id"],
    }
    return alice, ids


async def test_another_user_cannot_read_what_is_not_theirs(client: Client) -> None:
    """The two-user BOLA matrix of REST, through GraphQL: every read is NOT_FOUND, as REST answers 404."""
    alice, ids = await _alices_things(client)
    bob = await signed_in(client, "bob@example.org", Role.EDITOR)
    collection, document, conversation = ids["collection"], ids["document"], ids["conversation"]
    reads = {
        "collection": ("query R($id: ID!) { collection(id: $id) { id name } }", collection),
        "documents": ("query R($id: ID!) { documents(collectionId: $id) { totalCount } }", collection),
        "document": ("query R($id: ID!) { document(id: $id) { title } }", document),
        "chunks": ("query R($id: ID!) { document(id: $id) { chunks { totalCount } } }", document),
        "conversation": ("query R($id: ID!) { conversation(id: $id) { title messages { content } } }", conversation),
    }
    rest_paths = {
        "collection": f"/api/v1/collections/{collection}",
        "documents": f"/api/v1/collections/{collection}/documents",
        "document": f"/api/v1/documents/{document}",
        "chunks": f"/api/v1/documents/{document}/chunks",
        "conversation": f"/api/v1/conversations/{conversation}",
    }
    for label, (query, target) in reads.items():
        rest = await client.get(rest_paths[label], headers=bob.headers)
        assert rest.status_code == 404, (label, rest.text)
        result = await gql(client, query, {"id": target}, headers=bob.headers)
        assert error_codes(result) == [rest.json()["error"]["code"]], (label, result)
        assert "Travel" not in str(result)
        assert "Trips" not in str(result)
    scoped = await gql(
        client,
        'query S($ids: [ID!]) { search(query: "hotels", mode: KEYWORD, collectionIds: $ids) { hits { text } } }',
        {"ids": [collection]},
        headers=bob.headers,
    )
    rest = await client.post(
        "/api/v1/search", json={"query": "hotels", "collection_ids": [ids["collection"]]}, headers=bob.headers
    )
    assert rest.status_code == 404
    assert error_codes(scoped) == [rest.json()["error"]["code"]]
    listed = await gql(client, "{ collections { totalCount } conversations { totalCount } }", headers=bob.headers)
    assert listed["data"] == {"collections": {"totalCount": 0}, "conversations": {"totalCount": 0}}
    own = await gql(client, reads["conversation"][0], {"id": conversation}, headers=alice.headers)
    assert own["data"]["conversation"] == {"title": "Trips", "messages": []}


async def test_a_collection_reads_with_its_documents_chunks_and_members(client: Client) -> None:
    alice, ids = await _alices_things(client)
    query = """
    query One($id: ID!, $document: ID!) {
      collection(id: $id) {
        name role documentCount
        members { userId role }
        documents(filter: {q: "trav"}) { totalCount nodes { id title status chunks { totalCount } } }
      }
      document(id: $document) { title collectionId metadata }
    }
    """
    variables = {"id": ids["collection"], "document": ids["document"]}
    result = await gql(client, query, variables, headers=alice.headers)
    assert "errors" not in result, result
    collection = result["data"]["collection"]
    assert collection["name"] == "Handbook"
    assert collection["role"] == "OWNER"
    assert collection["members"] == [{"userId": alice.id, "role": "OWNER"}]
    (document,) = collection["documents"]["nodes"]
    assert (document["id"], document["title"]) == (ids["document"], "Travel")
    assert result["data"]["document"] == {"title": "Travel", "collectionId": ids["collection"], "metadata": {}}
    listed = await gql(
        client,
        'query L($id: ID!) { documents(collectionId: $id, sort: "title", filter: {q: "trav"}) { nodes { title } } }',
        {"id": ids["collection"]},
        headers=alice.headers,
    )
    assert listed["data"] == {"documents": {"nodes": [{"title": "Travel"}]}}
    none = await gql(
        client,
        "query F($id: ID!) { collection(id: $id) { documents(filter: {status: FAILED}) { totalCount } } }",
        {"id": ids["collection"]},
        headers=alice.headers,
    )
    assert none["data"]["collection"]["documents"] == {"totalCount": 0}


async def _walk(client: Client, account: Account, field: str, selection: str, first: int) -> tuple[list[Any], int]:
    nodes: list[Any] = []
    after: str | None = None
    total = -1
    for _ in range(20):
        result = await gql(
            client,
            f"query Page($first: Int!, $after: String) {{ {field}(first: $first, after: $after) "
            f"{{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {selection} }} }} }} }}",
            {"first": first, "after": after},
            headers=account.headers,
        )
        assert "errors" not in result, result
        page = result["data"][field]
        total = page["totalCount"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes, total
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("the pages never ended")


async def test_connections_page_with_opaque_cursors_to_the_end(client: Client) -> None:
    alice = await signed_in(client, "alice@example.org", Role.EDITOR)
    names = [f"Shelf {n}" for n in range(5)]
    created = [await new_collection(client, alice, name) for name in names]
    first_id = created[0]
    nodes, total = await _walk(client, alice, "collections", "name", 2)
    assert total == 5
    assert [n["name"] for n in nodes] == names  # sorted by name, each once
    for n in range(3):
        added = await add_text(client, alice, first_id, f"Doc {n}", f"Text number {n}.")
        assert added.status_code == 202
    nested = """
    query Nested($after: String) {
      collections(first: 1) { edges { node { documents(first: 2, after: $after, sort: "title") {
        totalCount pageInfo { hasNextPage endCursor } nodes { title } } } } }
    }
    """
    seen: list[str] = []
    after = None
    while True:
        result = await gql(client, nested, {"after": after}, headers=alice.headers)
        documents = result["data"]["collections"]["edges"][0]["node"]["documents"]
        seen += [d["title"] for d in documents["nodes"]]
        if not documents["pageInfo"]["hasNextPage"]:
            break
        after = documents["pageInfo"]["endCursor"]
    assert seen == ["Doc 0", "Doc 1", "Doc 2"]


async def test_bad_page_arguments_are_the_rest_lists_errors(client: Client) -> None:
    alice = await signed_in(client, "alice@example.org", Role.EDITOR)
    cases = {
        '{ collections(after: "bm90IGEgY3Vyc29y") { totalCount } }': "INVALID_CURSOR",
        '{ collections(after: "%%%") { totalCount } }': "INVALID_CURSOR",
        '{ collections(after: "bG9yZTrCsg") { totalCount } }': "INVALID_CURSOR",  # "lore:²": a digit, not 0-9
        "{ collections(first: 0) { totalCount } }": "VALIDATION_ERROR",
        "{ collections(first: 101) { totalCount } }": "VALIDATION_ERROR",
        '{ collections(sort: "password") { totalCount } }': "INVALID_SORT",
        "{ conversations(first: -1) { totalCount } }": "VALIDATION_ERROR",
    }
    for query, code in cases.items():
        assert error_codes(await gql(client, query, headers=alice.headers)) == [code], query
    # the free-text q follows REST's single-line rule (REST: 422 VALIDATION_ERROR)
    collection = await gql(client, 'mutation { createCollection(name: "Q") { id } }', headers=alice.headers)
    collection_id = collection["data"]["createCollection"]["id"]
    documents = "query D($c: ID!, $q: String) { documents(collectionId: $c, filter: {q: $q}) { totalCount } }"
    for q, expected in (("a\nb", ["VALIDATION_ERROR"]), ("x" * 300, [])):
        result = await gql(client, documents, {"c": collection_id, "q": q}, headers=alice.headers)
        assert error_codes(result) == expected, q


async def test_emails_of_others_are_for_readers_of_all_users_only(client: Client) -> None:
    admin = await signed_in(client, "root@example.org", Role.ADMIN)
    bob = await signed_in(client, "bob@example.org")
    result = await gql(
        client,
        '{ users(sort: "email") { nodes { email } } auditEvents(first: 5) { totalCount } }',
        headers=admin.headers,
    )
    assert [u["email"] for u in result["data"]["users"]["nodes"]] == ["bob@example.org", "root@example.org"]
    assert result["data"]["auditEvents"]["totalCount"] >= 0
    too_long = await gql(
        client, "query Q($q: String) { users(q: $q) { totalCount } }", {"q": "x" * 101}, headers=admin.headers
    )
    assert error_codes(too_long) == ["VALIDATION_ERROR"]
    two_lines = await gql(
        client, "query Q($q: String) { users(q: $q) { totalCount } }", {"q": "a\nb"}, headers=admin.headers
    )
    assert error_codes(two_lines) == ["VALIDATION_ERROR"]  # REST's q: 422 for a line break
    own = await gql(client, "{ viewer { email } }", headers=bob.headers)
    assert own["data"]["viewer"]["email"] == "bob@example.org"


async def test_search_and_usage_answer_like_rest(client: Client) -> None:
    alice, ids = await _alices_things(client)
    result = await gql(
        client,
        '{ search(query: "hotels", mode: KEYWORD) { mode requestedMode reranked hits { title } } '
        "usage { quotaTokens } }",
        headers=alice.headers,
    )
    assert "errors" not in result, result
    assert result["data"]["search"]["mode"] == "KEYWORD"
    assert result["data"]["search"]["reranked"] is False
    # REST's `rerank: true`: 409 RERANKER_DISABLED without RERANK_URL
    rerank = await gql(client, '{ search(query: "hotels", rerank: true) { reranked } }', headers=alice.headers)
    assert error_codes(rerank) == ["RERANKER_DISABLED"]
    assert result["data"]["usage"]["quotaTokens"] > 0
    invalid = await gql(client, '{ search(query: "  ", limit: 1000) { mode } }', headers=alice.headers)
    assert error_codes(invalid) == ["VALIDATION_ERROR"]
    filtered = await gql(
        client,
        'query F($d: [ID!]) { search(query: "hotels", mode: KEYWORD, '
        'filter: {documentIds: $d, contentTypes: [TEXT], metadata: {team: "ops"}}) { hits { title } } }',
        {"d": [ids["document"]]},
        headers=alice.headers,
    )
    assert "errors" not in filtered, filtered
