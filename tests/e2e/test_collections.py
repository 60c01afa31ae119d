"""Collections and memberships over HTTP, plus embeddings-off behaviour and the upload size limit."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.testing import AsyncTestClient

from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import add_text, new_collection, search, wait_for_status
from tests.support.api import Account, Client, assert_error, signed_in

COLLECTIONS = "/api/v1/collections"


async def test_names_are_unique_per_creator_only(client: Client) -> None:
    alice = await signed_in(client, "alice@example.org", Role.EDITOR)
    bob = await signed_in(client, "bob@example.org", Role.EDITOR)
    alices = await new_collection(client, alice, "Handbook")
    # Alice's private collection neither blocks Bob's name nor tells him it exists
    bobs = await new_collection(client, bob, "Handbook")
    assert bobs != alices
    error = assert_error(
        await client.post(COLLECTIONS, json={"name": " Handbook "}, headers=alice.headers), 409, "COLLECTION_NAME_TAKEN"
    )
    assert error["message"] == "You already have a collection with this name."
    other = await new_collection(client, bob, "Notes")
    assert_error(
        await client.patch(f"{COLLECTIONS}/{other}", json={"name": "Handbook"}, headers=bob.headers),
        409,
        "COLLECTION_NAME_TAKEN",
    )
    renamed = await client.patch(f"{COLLECTIONS}/{alices}", json={"name": "Notes"}, headers=alice.headers)
    assert renamed.status_code == 200, renamed.text
    same = await client.patch(f"{COLLECTIONS}/{alices}", json={"name": "Notes"}, headers=alice.headers)
    assert same.status_code == 200, same.text  # its own name is no clash

    # a co-owner renaming Alice's collection onto one of her private names learns nothing about it
    shared = await new_collection(client, alice, "Shared")
    added = await client.put(f"{COLLECTIONS}/{shared}/members/{bob.id}", json={"role": "owner"}, headers=alice.headers)
    assert added.status_code == 200, added.text
    clash = await client.patch(f"{COLLECTIONS}/{shared}", json={"name": "Notes"}, headers=bob.headers)
    assert assert_error(clash, 409, "COLLECTION_NAME_TAKEN")["message"] == "Choose another name for this collection."


async def test_collections_of_deleted_creators_keep_their_names(client: Client) -> None:
    admin = await signed_in(client, "root@example.org", Role.ADMIN)
    names = []
    for email in ("gone@example.org", "left@example.org"):
        creator = await signed_in(client, email, Role.EDITOR)
        names.append(await new_collection(client, creator, "Archive"))
        assert (await client.delete(f"/api/v1/users/{creator.id}", headers=admin.headers)).status_code == 204
    # nobody owns the two "Archive"s now; an admin can still rename either to the other's name
    renamed = await client.patch(f"{COLLECTIONS}/{names[0]}", json={"name": "Archive"}, headers=admin.headers)
    assert renamed.status_code == 200, renamed.text


async def test_a_member_is_told_which_roles_may_create_collections(client: Client) -> None:
    member = await signed_in(client, "member@example.org")
    error = assert_error(
        await client.post(COLLECTIONS, json={"name": "Mine"}, headers=member.headers), 403, "FORBIDDEN"
    )
    assert error["message"] == "You need the 'collections:create' permission (roles: admin, editor)."
    assert error["details"] == {"permission": "collections:create", "required_roles": ["admin", "editor"]}


async def test_a_read_only_key_of_an_owner_changes_nothing(client: Client) -> None:
    owner = await signed_in(client, "owner@example.org", Role.EDITOR)
    member = await signed_in(client, "member@example.org")
    collection = await new_collection(client, owner)
    created = await client.post(
        "/api/v1/api-keys", json={"name": "reader", "scopes": ["documents:read"]}, headers=owner.headers
    )
    key = {"Authorization": f"Bearer {created.json()['data']['secret']}"}
    url = f"{COLLECTIONS}/{collection}"
    attempts = [
        await client.patch(url, json={"name": "Taken over"}, headers=key),
        await client.put(f"{url}/members/{member.id}", json={"role": "owner"}, headers=key),
        await client.delete(f"{url}/members/{owner.id}", headers=key),
        await client.delete(url, headers=key),
    ]
    for response in attempts:
        error = assert_error(response, 403, "FORBIDDEN")
        assert error["message"] == "This API key lacks the 'collections:manage' scope."
        assert error["details"] == {"permission": "collections:manage", "missing_scope": "collections:manage"}
    body = (await client.get(url, headers=key)).json()["data"]
    assert body["name"] == "Handbook"
    members = (await client.get(f"{url}/members", headers=key)).json()["data"]
    assert [m["user_id"] for m in members] == [owner.id]


async def test_collection_lifecycle_and_members(client: Client) -> None:
    owner = await signed_in(client, "owner@example.org", Role.EDITOR)
    member = await signed_in(client, "member@example.org")
    admin = await signed_in(client, "root@example.org", Role.ADMIN)

    assert_error(await client.post(COLLECTIONS, json={"name": "Nope"}, headers=member.headers), 403, "FORBIDDEN")
    collection = await new_collection(client, owner, "  Team   Wiki ")
    body = (await client.get(f"{COLLECTIONS}/{collection}", headers=owner.headers)).json()["data"]
    assert (body["name"], body["role"], body["document_count"]) == ("Team Wiki", "owner", 0)
    assert_error(
        await client.post(COLLECTIONS, json={"name": "Team Wiki"}, headers=owner.headers), 409, "COLLECTION_NAME_TAKEN"
    )

    renamed = await client.patch(
        f"{COLLECTIONS}/{collection}", json={"name": "Wiki", "description": "All of it"}, headers=owner.headers
    )
    assert renamed.json()["data"]["description"] == "All of it"

    put = await client.put(
        f"{COLLECTIONS}/{collection}/members/{member.id}", json={"role": "editor"}, headers=owner.headers
    )
    assert put.json()["data"]["role"] == "editor"
    members = (await client.get(f"{COLLECTIONS}/{collection}/members", headers=member.headers)).json()["data"]
    assert {(m["user_id"], m["role"]) for m in members} == {(owner.id, "owner"), (member.id, "editor")}
    assert "email" not in str(members)
    assert_error(
        await client.patch(f"{COLLECTIONS}/{collection}", json={"name": "Mine"}, headers=member.headers),
        403,
        "FORBIDDEN",
    )
    assert_error(
        await client.put(
            f"{COLLECTIONS}/{collection}/members/00000000-0000-0000-0000-0000000000aa",
            json={"role": "viewer"},
            headers=owner.headers,
        ),
        404,
        "NOT_FOUND",
    )

    # the last owner cannot leave or be demoted
    assert_error(
        await client.delete(f"{COLLECTIONS}/{collection}/members/{owner.id}", headers=owner.headers), 409, "LAST_OWNER"
    )
    assert_error(
        await client.put(
            f"{COLLECTIONS}/{collection}/members/{owner.id}", json={"role": "viewer"}, headers=owner.headers
        ),
        409,
        "LAST_OWNER",
    )
    # anyone may leave
    assert (
        await client.delete(f"{COLLECTIONS}/{collection}/members/{member.id}", headers=member.headers)
    ).status_code == 204
    assert_error(await client.get(f"{COLLECTIONS}/{collection}", headers=member.headers), 404, "COLLECTION_NOT_FOUND")
    assert_error(
        await client.delete(f"{COLLECTIONS}/{collection}/members/{member.id}", headers=owner.headers), 404, "NOT_FOUND"
    )

    listed = (await client.get(COLLECTIONS, headers=owner.headers)).json()
    assert [c["name"] for c in listed["data"]] == ["Wiki"]
    seen_by_admin = (await client.get(COLLECTIONS, headers=admin.headers)).json()["data"]
    assert seen_by_admin[0]["role"] is None  # admins see every collection without being members
    assert_error(await client.get(COLLECTIONS, params={"sort": "secret"}, headers=owner.headers), 422, "INVALID_SORT")

    assert_error(
        await client.delete(f"{COLLECTIONS}/{collection}", headers=member.headers), 404, "COLLECTION_NOT_FOUND"
    )
    assert (await client.delete(f"{COLLECTIONS}/{collection}", headers=owner.headers)).status_code == 204
    assert_error(await client.get(f"{COLLECTIONS}/{collection}", headers=owner.headers), 404, "COLLECTION_NOT_FOUND")


async def test_documents_list_filters_and_sorts(kb_client: Client) -> None:
    editor = await signed_in(kb_client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(kb_client, editor)
    ids = []
    for title in ("Beta notes", "Alpha notes", "Gamma"):
        ids.append((await add_text(kb_client, editor, collection, title, f"Body of {title}.")).json()["data"]["id"])
    for document_id in ids:
        await wait_for_status(kb_client, editor, document_id)
    url = f"{COLLECTIONS}/{collection}/documents"
    by_title = (await kb_client.get(url, params={"sort": "title"}, headers=editor.headers)).json()
    assert [d["title"] for d in by_title["data"]] == ["Alpha notes", "Beta notes", "Gamma"]
    assert by_title["meta"]["total"] == 3
    notes = (await kb_client.get(url, params={"q": "notes", "status": "ready"}, headers=editor.headers)).json()
    assert notes["meta"]["total"] == 2
    pending = (await kb_client.get(url, params={"status": "pending"}, headers=editor.headers)).json()
    assert pending["meta"]["total"] == 0
    paged = (
        await kb_client.get(url, params={"limit": 1, "offset": 1, "sort": "-title"}, headers=editor.headers)
    ).json()
    assert [d["title"] for d in paged["data"]] == ["Beta notes"]
    assert (await kb_client.get(f"{COLLECTIONS}/{collection}", headers=editor.headers)).json()["data"][
        "document_count"
    ] == 3


async def test_without_embeddings_vector_search_explains_itself(client: Client) -> None:
    editor = await signed_in(client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(client, editor)
    await add_text(client, editor, collection, "Doc", "Plain keyword content.")
    error = assert_error(await search(client, editor, "keyword", mode="vector"), 409, "EMBEDDINGS_DISABLED")
    assert "EMBEDDINGS_BASE_URL" in error["message"]
    hybrid = (await search(client, editor, "keyword", mode="hybrid")).json()
    assert hybrid["meta"]["mode"] == "keyword"


async def test_uploads_over_the_limit_get_413(settings: Settings) -> None:
    small = msgspec.structs.replace(settings, max_upload_bytes=2048)
    async with AsyncTestClient(app=create_app(small)) as client:
        editor = await signed_in(client, "ed@example.org", Role.EDITOR)
        collection = await new_collection(client, editor)
        just_over = await add_text(client, editor, collection, "Big", "x" * 3000)
        assert_error(just_over, 413, "PAYLOAD_TOO_LARGE")
        way_over = await client.post(
            f"{COLLECTIONS}/{collection}/documents",
            files={"file": ("big.txt", b"y" * 200_000, "text/plain")},
            headers=editor.headers,
        )
        assert_error(way_over, 413, "PAYLOAD_TOO_LARGE")
        listed = await client.get(f"{COLLECTIONS}/{collection}/documents", headers=editor.headers)
        assert listed.json()["meta"]["total"] == 0


async def test_the_list_pages_sorts_and_counts_what_the_caller_sees(client: Client) -> None:
    editor = await signed_in(client, "lists@example.org", Role.EDITOR)
    other = await signed_in(client, "other-lists@example.org", Role.EDITOR)
    admin = await signed_in(client, "admin-lists@example.org", Role.ADMIN)
    ids = {name: await new_collection(client, editor, name) for name in ("B", "A", "C")}
    hidden = await new_collection(client, other, "Z")
    added = await add_text(client, editor, ids["A"], "Doc", "Some text to count.")
    assert added.status_code in (201, 202), added.text

    async def listed(account: Account, **params: str | int) -> dict[str, Any]:
        response = await client.get(COLLECTIONS, params=params, headers=account.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    first = await listed(editor, limit=2, sort="name")
    assert [c["name"] for c in first["data"]] == ["A", "B"]
    assert first["meta"] == {"total": 3, "limit": 2, "offset": 0}
    assert [(c["role"], c["document_count"]) for c in first["data"]] == [("owner", 1), ("owner", 0)]
    assert [c["name"] for c in (await listed(editor, limit=2, offset=2, sort="name"))["data"]] == ["C"]
    assert [c["name"] for c in (await listed(editor, sort="-name"))["data"]] == ["C", "B", "A"]
    past_the_end = await listed(editor, offset=10)
    assert past_the_end["data"] == []
    assert past_the_end["meta"]["total"] == 3  # the total does not depend on the page
    everything = await listed(admin, limit=100)
    roles = {c["id"]: c["role"] for c in everything["data"]}
    assert everything["meta"]["total"] == len(roles) >= 4
    assert roles[hidden] is None  # admins see collections they are not a member of
