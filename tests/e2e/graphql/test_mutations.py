"""The mutations over HTTP: the REST writes through the same use cases, with the same denials."""

from __future__ import annotations

from typing import Any

from domain.identity.roles import Role
from tests.e2e.graphql.support import api_key, error_codes, gql
from tests.support.api import Account, Client, signed_in


async def _ok(client: Client, account: Account, query: str, variables: dict[str, Any] | None = None) -> Any:
    result = await gql(client, query, variables, headers=account.headers)
    assert "errors" not in result, result
    return result["data"]


async def test_a_collection_lives_and_dies_through_mutations(client: Client) -> None:
    alice = await signed_in(client, "alice@example.org", Role.EDITOR)
    bob = await signed_in(client, "bob@example.org")
    created = await _ok(client, alice, 'mutation { createCollection(name: "Handbook") { id name role } }')
    collection = created["createCollection"]
    assert (collection["name"], collection["role"]) == ("Handbook", "OWNER")
    cid = collection["id"]
    renamed = await _ok(
        client, alice, 'mutation R($id: ID!) { updateCollection(id: $id, name: "Guide") { name } }', {"id": cid}
    )
    assert renamed == {"updateCollection": {"name": "Guide"}}
    member = await _ok(
        client,
        alice,
        "mutation M($c: ID!, $u: ID!) { putMember(collectionId: $c, userId: $u, role: VIEWER) { userId role } }",
        {"c": cid, "u": bob.id},
    )
    assert member == {"putMember": {"userId": bob.id, "role": "VIEWER"}}
    added = await _ok(
        client,
        alice,
        'mutation A($c: ID!) { addDocument(collectionId: $c, title: "Travel", content: "Hotels.", '
        'metadata: {team: "ops"}) { id title status metadata } }',
        {"c": cid},
    )
    document = added["addDocument"]
    assert (document["title"], document["status"], document["metadata"]) == ("Travel", "PENDING", {"team": "ops"})
    seen = await _ok(client, bob, "query D($id: ID!) { document(id: $id) { title } }", {"id": document["id"]})
    assert seen == {"document": {"title": "Travel"}}
    deleted = await _ok(client, alice, "mutation X($id: ID!) { deleteDocument(id: $id) }", {"id": document["id"]})
    assert deleted == {"deleteDocument": document["id"]}
    left = await _ok(
        client,
        bob,
        "mutation L($c: ID!, $u: ID!) { removeMember(collectionId: $c, userId: $u) }",
        {"c": cid, "u": bob.id},
    )
    assert left == {"removeMember": bob.id}
    assert (await _ok(client, alice, "mutation Z($id: ID!) { deleteCollection(id: $id) }", {"id": cid})) == {
        "deleteCollection": cid
    }
    gone = await client.get(f"/api/v1/collections/{cid}", headers=alice.headers)
    assert gone.status_code == 404


async def test_another_user_cannot_change_what_is_not_theirs(client: Client) -> None:
    """The BOLA matrix for writes: every mutation on another user's things answers the REST code."""
    alice = await signed_in(client, "alice@example.org", Role.EDITOR)
    bob = await signed_in(client, "bob@example.org", Role.EDITOR)
    cid = (await _ok(client, alice, 'mutation { createCollection(name: "Mine") { id } }'))["createCollection"]["id"]
    doc = (
        await _ok(
            client,
            alice,
            'mutation A($c: ID!) { addDocument(collectionId: $c, title: "T", content: "Secret.") { id } }',
            {"c": cid},
        )
    )["addDocument"]["id"]
    conversation = (await _ok(client, alice, 'mutation { createConversation(title: "Mine") { id } }'))[
        "createConversation"
    ]["id"]
    attempts = [
        ("mutation W($id: ID!) { updateCollection(id: $id, name: \"Theirs\") { id } }", {"id": cid}),
        ("mutation W($id: ID!) { deleteCollection(id: $id) }", {"id": cid}),
        ("mutation W($c: ID!, $u: ID!) { putMember(collectionId: $c, userId: $u, role: OWNER) { role } }",
         {"c": cid, "u": bob.id}),
        ('mutation W($c: ID!) { addDocument(collectionId: $c, title: "X", content: "Y") { id } }', {"c": cid}),
        ("mutation W($id: ID!) { deleteDocument(id: $id) }", {"id": doc}),
        ('mutation W($id: ID!) { sendMessage(conversationId: $id, content: "Hi") { id } }', {"id": conversation}),
        ('mutation W($ids: [ID!]) { createConversation(collectionIds: $ids) { id } }', {"ids": [cid]}),
        ('mutation W($ids: [ID!]) { ask(question: "Secret?", collectionIds: $ids) { answer } }', {"ids": [cid]}),
    ]  # fmt: skip
    rest = await client.get(f"/api/v1/collections/{cid}", headers=bob.headers)
    for query, variables in attempts:
        result = await gql(client, query, variables, headers=bob.headers)
        codes = error_codes(result)
        assert len(codes) == 1, (query, result)
        assert codes[0].endswith("NOT_FOUND"), (query, result)
        assert "Secret" not in str(result["data"])
    assert rest.status_code == 404
    still = await _ok(client, alice, "query C($id: ID!) { collection(id: $id) { name documentCount } }", {"id": cid})
    assert still == {"collection": {"name": "Mine", "documentCount": 1}}


async def test_writes_check_the_rest_bodies_rules(client: Client) -> None:
    alice = await signed_in(client, "alice@example.org", Role.EDITOR)
    for query in (
        'mutation { createCollection(name: "   ") { id } }',
        'mutation { createCollection(name: "tab\\there") { id } }',
        'mutation { createConversation(title: "%s") { id } }' % ("x" * 401),
        'mutation { createApiKey(name: "k", scopes: []) { id } }',
    ):
        assert error_codes(await gql(client, query, headers=alice.headers)) == ["VALIDATION_ERROR"], query


async def test_api_keys_are_made_and_revoked_by_a_signed_in_session_only(client: Client) -> None:
    alice = await signed_in(client, "alice@example.org")
    made = await _ok(
        client, alice, 'mutation { createApiKey(name: "ci", scopes: [DOCUMENTS_READ]) { id secret scopes } }'
    )
    key = made["createApiKey"]
    assert key["scopes"] == ["DOCUMENTS_READ"]
    assert key["secret"].startswith("lore_")
    as_key = {"Authorization": f"Bearer {key['secret']}"}
    refused = await gql(
        client, 'mutation { createApiKey(name: "more", scopes: [DOCUMENTS_READ]) { id } }', headers=as_key
    )
    assert error_codes(refused) == ["SESSION_REQUIRED"]
    listed = await gql(client, "{ collections { totalCount } }", headers=as_key)
    assert listed["data"] == {"collections": {"totalCount": 0}}
    revoked = await _ok(client, alice, "mutation R($id: ID!) { revokeApiKey(id: $id) }", {"id": key["id"]})
    assert revoked == {"revokeApiKey": key["id"]}
    after = await gql(client, "{ viewer { id } }", headers=as_key)
    assert error_codes(after) != []


async def test_a_key_without_the_write_scope_cannot_write(client: Client) -> None:
    editor = await signed_in(client, "editor@example.org", Role.EDITOR)
    reader = await api_key(client, editor, ["documents:read"])
    result = await gql(client, 'mutation { createCollection(name: "No") { id } }', headers=reader)
    assert error_codes(result) == ["FORBIDDEN"]
    assert result["errors"][0]["extensions"]["details"]["missing_scope"] == "collections:create"


async def test_ask_and_a_conversation_answer_whole(client: Client) -> None:
    alice = await signed_in(client, "alice@example.org", Role.EDITOR)
    answer = await _ok(
        client,
        alice,
        'mutation { ask(question: "Where do we stay?") '
        "{ answer mode citations { title start end headingPath chunkStart chunkEnd } } }",
    )
    assert isinstance(answer["ask"]["answer"], str)
    for citation in answer["ask"]["citations"]:  # REST's heading_path, chunk_start, chunk_end
        assert citation["chunkStart"] <= citation["start"] <= citation["end"] <= citation["chunkEnd"]
        assert isinstance(citation["headingPath"], str)
    conversation = (await _ok(client, alice, 'mutation { createConversation(title: "Trips") { id } }'))[
        "createConversation"
    ]["id"]
    reply = await _ok(
        client,
        alice,
        'mutation S($id: ID!) { sendMessage(conversationId: $id, content: "Where do we stay?") { role status } }',
        {"id": conversation},
    )
    assert reply == {"sendMessage": {"role": "assistant", "status": "complete"}}
    thread = await _ok(
        client, alice, "query T($id: ID!) { conversation(id: $id) { messages { role } } }", {"id": conversation}
    )
    assert [m["role"] for m in thread["conversation"]["messages"]] == ["user", "assistant"]
