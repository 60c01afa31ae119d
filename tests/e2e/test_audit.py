"""The audit trail over HTTP: every sensitive action leaves an event naming its actor (user or API key), the
client address, the request id, the target and the outcome."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.enums import ScopeType
from litestar.testing import AsyncTestClient
from litestar.types import ASGIApp, Receive, Scope, Send

from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import add_text, new_collection
from tests.support.api import PASSWORD, Account, Client, bearer, create_user, login, signed_in

AUDIT = "/api/v1/audit-events"
COLLECTIONS = "/api/v1/collections"


async def _events(client: Client, admin: Account, **params: str) -> list[dict[str, Any]]:
    response = await client.get(AUDIT, params={"limit": "100", **params}, headers=admin.headers)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["data"]
    return events


async def _one(client: Client, admin: Account, action: str) -> dict[str, Any]:
    events = await _events(client, admin, action=action)
    assert len(events) == 1, events
    return events[0]


async def test_collection_and_membership_changes_are_audited(client: Client) -> None:
    admin = await signed_in(client, "root@example.org", Role.ADMIN)
    alice = await signed_in(client, "alice@example.org", Role.EDITOR)
    bob = await signed_in(client, "bob@example.org")
    collection = await new_collection(client, alice, "Handbook")
    url = f"{COLLECTIONS}/{collection}"
    renamed = await client.patch(url, json={"name": "Manual"}, headers={**alice.headers, "X-Request-ID": "rename-1"})
    assert renamed.status_code == 200
    assert (await client.put(f"{url}/members/{bob.id}", json={"role": "viewer"}, headers=alice.headers)).is_success
    assert (await client.put(f"{url}/members/{bob.id}", json={"role": "editor"}, headers=alice.headers)).is_success
    assert (await client.delete(f"{url}/members/{bob.id}", headers=alice.headers)).status_code == 204
    document = (await add_text(client, alice, collection, "Notes", "Some text.")).json()["data"]["id"]
    assert (await client.delete(f"/api/v1/documents/{document}", headers=alice.headers)).status_code == 204
    assert (await client.delete(url, headers=alice.headers)).status_code == 204

    created = await _one(client, admin, "collection.created")
    assert created["actor_id"] == alice.id
    assert created["actor_api_key_id"] is None
    assert (created["target_type"], created["target_id"]) == ("collection", collection)
    assert created["outcome"] == "success"
    assert created["ip_address"] == "testclient"  # the test client's peer
    assert created["request_id"]
    updated = await _one(client, admin, "collection.updated")
    assert updated["request_id"] == "rename-1"
    assert updated["details"] == {"fields": ["name"], "old_name": "Handbook", "name": "Manual"}
    added = await _one(client, admin, "collection.member_added")
    assert (added["subject_id"], added["target_id"], added["details"]["role"]) == (bob.id, collection, "viewer")
    changed = await _one(client, admin, "collection.member_role_changed")
    assert changed["details"] == {"role": "editor", "old_role": "viewer"}
    removed = await _one(client, admin, "collection.member_removed")
    assert (removed["subject_id"], removed["details"]) == (bob.id, {"role": "editor"})
    deleted_document = await _one(client, admin, "document.deleted")
    assert (deleted_document["target_type"], deleted_document["target_id"]) == ("document", document)
    assert deleted_document["details"] == {"collection_id": collection, "title": "Notes"}
    deleted = await _one(client, admin, "collection.deleted")
    assert (deleted["target_id"], deleted["details"]) == (collection, {"name": "Manual"})


async def test_a_refused_change_leaves_no_event(client: Client) -> None:
    admin = await signed_in(client, "root@example.org", Role.ADMIN)
    alice = await signed_in(client, "alice@example.org", Role.EDITOR)
    bob = await signed_in(client, "bob@example.org", Role.EDITOR)
    collection = await new_collection(client, alice)
    assert (await client.delete(f"{COLLECTIONS}/{collection}", headers=bob.headers)).status_code == 404
    assert await _events(client, admin, action="collection.deleted") == []


async def test_api_key_create_first_use_writes_and_revoke_are_audited(client: Client) -> None:
    admin = await signed_in(client, "root@example.org", Role.ADMIN)
    ann = await signed_in(client, "ann@example.org", Role.EDITOR)
    response = await client.post(
        "/api/v1/api-keys", json={"name": "ci", "scopes": ["collections:create", "documents:read"]}, headers=ann.headers
    )
    key = response.json()["data"]
    for _ in range(3):  # only the first use is an event
        assert (await client.get(COLLECTIONS, headers=bearer(key["secret"]))).status_code == 200
    made = await client.post(COLLECTIONS, json={"name": "Via key"}, headers=bearer(key["secret"]))
    assert made.status_code == 201
    assert (await client.delete(f"/api/v1/api-keys/{key['id']}", headers=ann.headers)).status_code == 204

    created = await _one(client, admin, "api_key.created")
    assert (created["actor_id"], created["target_type"], created["target_id"]) == (ann.id, "api_key", key["id"])
    first = await _one(client, admin, "api_key.first_used")
    assert (first["actor_id"], first["actor_api_key_id"], first["target_id"]) == (ann.id, key["id"], key["id"])
    assert first["ip_address"] == "testclient"
    write = await _one(client, admin, "collection.created")
    assert (write["actor_id"], write["actor_api_key_id"]) == (ann.id, key["id"])
    revoked = await _one(client, admin, "api_key.revoked")
    assert (revoked["actor_id"], revoked["actor_api_key_id"], revoked["target_id"]) == (ann.id, None, key["id"])


async def test_failed_and_blocked_sign_ins_are_audited(client: Client) -> None:
    admin = await signed_in(client, "root@example.org", Role.ADMIN)
    ann_id = await create_user(client, "ann@example.org")
    registered = await client.post(
        "/api/v1/auth/register", json={"email": "new@example.org", "password": PASSWORD, "display_name": "New"}
    )
    assert registered.status_code == 201, registered.text
    cy = await signed_in(client, "cy@example.org")
    assert (await client.patch(f"/api/v1/users/{cy.id}", json={"is_active": False}, headers=admin.headers)).is_success

    assert (await login(client, "ann@example.org", "wrong password")).status_code == 401
    assert (await login(client, "new@example.org")).status_code == 403
    assert (await login(client, "cy@example.org")).status_code == 403
    for _ in range(5):
        await login(client, "ann@example.org", "wrong again")
    assert (await login(client, "ann@example.org")).status_code == 429

    failed = await _events(client, admin, action="auth.login_failed")
    assert {(e["subject_id"], e["outcome"], e["details"]["reason"]) for e in failed} == {
        (ann_id, "failure", "wrong_password")
    }
    assert all(e["ip_address"] == "testclient" and e["request_id"] for e in failed)
    blocked = await _events(client, admin, action="auth.login_blocked")
    reasons = {e["details"]["reason"]: e for e in blocked}
    assert set(reasons) == {"email_not_verified", "account_disabled", "throttled"}
    assert all(e["outcome"] == "denied" for e in blocked)
    assert reasons["account_disabled"]["subject_id"] == cy.id
    assert reasons["throttled"]["details"]["email"] == "ann@example.org"
    assert reasons["throttled"]["subject_id"] is None  # refused before the account is looked up
    role_change = await _events(client, admin, action="user.deactivated")
    assert [(e["actor_id"], e["target_id"]) for e in role_change] == [(admin.id, cy.id)]


async def test_role_changes_are_audited_with_the_actor(client: Client) -> None:
    admin = await signed_in(client, "root@example.org", Role.ADMIN)
    ann = await signed_in(client, "ann@example.org")
    assert (await client.patch(f"/api/v1/users/{ann.id}", json={"role": "editor"}, headers=admin.headers)).is_success
    event = await _one(client, admin, "user.role_changed")
    assert (event["actor_id"], event["target_type"], event["target_id"]) == (admin.id, "user", ann.id)
    assert event["details"] == {"old": "member", "new": "editor"}


def _from_peer(app: ASGIApp, peer: str) -> ASGIApp:
    """Makes requests arrive from ``peer`` (the test client always says "testclient")."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            scope["client"] = (peer, 4711)
        await app(scope, receive, send)

    return wrapped


@pytest.fixture
async def proxied_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(msgspec.structs.replace(settings, trusted_proxies="10.0.0.0/8"))
    app.asgi_handler = _from_peer(app.asgi_handler, "10.0.0.2")
    async with AsyncTestClient(app=app) as client:
        yield client


async def test_the_client_address_honours_trusted_proxies(proxied_client: Client) -> None:
    admin = await signed_in(proxied_client, "root@example.org", Role.ADMIN)
    await login(proxied_client, "root@example.org", "wrong password", **{"X-Forwarded-For": "203.0.113.7"})
    event = await _one(proxied_client, admin, "auth.login_failed")
    assert event["ip_address"] == "203.0.113.7"
