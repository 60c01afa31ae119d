"""Collection ids named in search, ask and new conversations must be readable by the caller: otherwise
the same 404 the collection endpoints give, and never a silently empty result."""

from __future__ import annotations

from uuid import uuid4

from domain.identity.roles import Role
from tests.e2e.knowledge_support import add_text, new_collection, search, wait_for_status
from tests.e2e.test_assistant import ask
from tests.support.api import Account, Client, assert_error, signed_in

CONVERSATIONS = "/api/v1/conversations"


async def _collection_with(client: Client, owner: Account, name: str, content: str) -> str:
    collection = await new_collection(client, owner, name)
    document = (await add_text(client, owner, collection, name, content)).json()["data"]
    await wait_for_status(client, owner, document["id"])
    return collection


async def test_another_users_collection_is_not_found(kb_client: Client) -> None:
    ann = await signed_in(kb_client, "ann@example.org", Role.EDITOR)
    bob = await signed_in(kb_client, "bob@example.org", Role.EDITOR)
    anns = await _collection_with(kb_client, ann, "Ann's notes", "The launch code is swordfish.")
    bobs = await _collection_with(kb_client, bob, "Bob's notes", "The garden needs swordfish fertiliser.")
    expected = assert_error(
        await kb_client.get(f"/api/v1/collections/{anns}", headers=bob.headers), 404, "COLLECTION_NOT_FOUND"
    )

    for ids in ([anns], [bobs, anns], [str(uuid4())]):
        unreadable = next(i for i in ids if i != bobs)
        refusals = [
            await search(kb_client, bob, "swordfish", collection_ids=ids),
            await search(kb_client, bob, "swordfish", mode="keyword", collection_ids=ids),
            await ask(kb_client, bob, "What is the launch code?", collection_ids=ids),
            await ask(kb_client, bob, "What is the launch code?", collection_ids=ids, stream=True),
            await kb_client.post(CONVERSATIONS, json={"collection_ids": ids}, headers=bob.headers),
        ]
        for response in refusals:
            error = assert_error(response, 404, "COLLECTION_NOT_FOUND")
            assert error["message"] == expected["message"]
            assert error["details"] == {"collection_id": unreadable}
    assert (await kb_client.get(CONVERSATIONS, headers=bob.headers)).json()["meta"]["total"] == 0

    own = await search(kb_client, bob, "swordfish", collection_ids=[bobs])
    assert [hit["collection_id"] for hit in own.json()["data"]] == [bobs]
    created = await kb_client.post(CONVERSATIONS, json={"collection_ids": [bobs]}, headers=bob.headers)
    assert created.status_code == 201
    assert created.json()["data"]["collection_ids"] == [bobs]

    admin = await signed_in(kb_client, "root@example.org", Role.ADMIN)
    seen = await search(kb_client, admin, "swordfish", collection_ids=[anns])
    assert [hit["collection_id"] for hit in seen.json()["data"]] == [anns]


async def test_membership_opens_the_scope_and_a_conversation_outlives_losing_it(kb_client: Client) -> None:
    ann = await signed_in(kb_client, "ann@example.org", Role.EDITOR)
    bob = await signed_in(kb_client, "bob@example.org")
    anns = await _collection_with(kb_client, ann, "Ann's notes", "The launch code is swordfish.")
    member = f"/api/v1/collections/{anns}/members/{bob.id}"
    assert (await kb_client.put(member, json={"role": "viewer"}, headers=ann.headers)).status_code == 200

    answer = (await ask(kb_client, bob, "What is the launch code?", collection_ids=[anns])).json()["data"]
    assert "swordfish" in answer["answer"]
    created = await kb_client.post(CONVERSATIONS, json={"collection_ids": [anns]}, headers=bob.headers)
    assert created.status_code == 201
    messages = f"{CONVERSATIONS}/{created.json()['data']['id']}/messages"

    assert (await kb_client.delete(member, headers=ann.headers)).status_code == 204
    reply = await kb_client.post(
        messages, json={"content": "What is the launch code?"}, headers={**bob.headers, "Accept": "application/json"}
    )
    assert reply.status_code == 200, reply.text  # the thread goes on, without the passages bob lost
    assert reply.json()["data"]["citations"] == []
    assert "swordfish" not in reply.json()["data"]["content"]
    assert_error(await search(kb_client, bob, "swordfish", collection_ids=[anns]), 404, "COLLECTION_NOT_FOUND")
