"""Profiles, administration, API keys, the audit trail, and the two-user permission matrix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.identity.roles import Role
from tests.support.api import Account, Client, assert_error, bearer, create_user, login, signed_in

USERS = "/api/v1/users"
KEYS = "/api/v1/api-keys"


async def _key(client: Client, account: Account, *scopes: str, **extra: Any) -> dict[str, Any]:
    response = await client.post(KEYS, json={"name": "ci", "scopes": list(scopes), **extra}, headers=account.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    assert response.headers["location"] == f"{KEYS}/{data['id']}"
    return data


async def test_profile_read_and_update(client: Client) -> None:
    ann = await signed_in(client, "ann@example.org")
    me = (await client.get(f"{USERS}/me", headers=ann.headers)).json()["data"]
    assert me["email"] == "ann@example.org"
    assert me["role"] == "member"
    response = await client.patch(f"{USERS}/me", json={"display_name": "Ann Lee"}, headers=ann.headers)
    assert response.json()["data"]["display_name"] == "Ann Lee"


@pytest.mark.parametrize("field", [{"role": "admin"}, {"is_active": False}, {"email": "x@example.org"}])
async def test_mass_assignment_is_refused(client: Client, field: dict[str, Any]) -> None:
    ann = await signed_in(client, "ann@example.org")
    response = await client.patch(f"{USERS}/me", json=field, headers=ann.headers)
    assert_error(response, 422, "VALIDATION_ERROR")
    me = (await client.get(f"{USERS}/me", headers=ann.headers)).json()["data"]
    assert (me["role"], me["is_active"], me["email"]) == ("member", True, "ann@example.org")


async def test_admin_lists_filters_pages_and_sorts(client: Client) -> None:
    admin = await signed_in(client, "root@example.org", Role.ADMIN)
    for name in ("carol", "bob", "dave"):
        await create_user(client, f"{name}@example.org", Role.EDITOR if name == "dave" else Role.MEMBER)

    page = (await client.get(USERS, params={"limit": 2, "sort": "email"}, headers=admin.headers)).json()
    assert page["meta"] == {"total": 4, "limit": 2, "offset": 0}
    assert [u["email"] for u in page["data"]] == ["bob@example.org", "carol@example.org"]
    page = (await client.get(USERS, params={"limit": 2, "offset": 2, "sort": "-email"}, headers=admin.headers)).json()
    assert [u["email"] for u in page["data"]] == ["carol@example.org", "bob@example.org"]

    editors = (await client.get(USERS, params={"role": "editor"}, headers=admin.headers)).json()["data"]
    assert [u["email"] for u in editors] == ["dave@example.org"]
    found = (await client.get(USERS, params={"q": "CAR"}, headers=admin.headers)).json()["data"]
    assert [u["email"] for u in found] == ["carol@example.org"]
    inactive = (await client.get(USERS, params={"active": "false"}, headers=admin.headers)).json()
    assert inactive["meta"]["total"] == 0

    assert_error(await client.get(USERS, params={"sort": "password_hash"}, headers=admin.headers), 422, "INVALID_SORT")
    assert_error(await client.get(USERS, params={"limit": 101}, headers=admin.headers), 422, "VALIDATION_ERROR")
    assert_error(await client.get(USERS, params={"offset": -1}, headers=admin.headers), 422, "VALIDATION_ERROR")


async def test_admin_changes_role_deactivates_and_deletes(client: Client) -> None:
    admin = await signed_in(client, "root@example.org", Role.ADMIN)
    ann = await signed_in(client, "ann@example.org")
    key = await _key(client, ann, "documents:read")

    promoted = await client.patch(f"{USERS}/{ann.id}", json={"role": "editor"}, headers=admin.headers)
    assert promoted.json()["data"]["role"] == "editor"
    assert (await client.get(f"{USERS}/me", headers=ann.headers)).json()["data"]["role"] == "editor"

    deactivated = await client.patch(f"{USERS}/{ann.id}", json={"is_active": False}, headers=admin.headers)
    assert deactivated.json()["data"]["is_active"] is False
    # at once: the live access token, the refresh token and the API key all stop working
    assert_error(await client.get(f"{USERS}/me", headers=ann.headers), 401, "INVALID_TOKEN")
    assert_error(await client.get(f"{USERS}/me", headers=bearer(key["secret"])), 401, "INVALID_TOKEN")
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": ann.refresh_token})
    assert_error(refresh, 401, "INVALID_TOKEN")
    assert_error(await login(client, "ann@example.org"), 403, "ACCOUNT_DISABLED")

    assert_error(
        await client.patch(f"{USERS}/{admin.id}", json={"role": "member"}, headers=admin.headers), 409, "SELF_LOCKOUT"
    )
    assert_error(await client.delete(f"{USERS}/{admin.id}", headers=admin.headers), 409, "SELF_LOCKOUT")

    assert (await client.delete(f"{USERS}/{ann.id}", headers=admin.headers)).status_code == 204
    assert_error(await client.get(f"{USERS}/{ann.id}", headers=admin.headers), 404, "NOT_FOUND")
    assert_error(
        await client.get(f"{USERS}/00000000-0000-0000-0000-000000000009", headers=admin.headers), 404, "NOT_FOUND"
    )


async def test_api_keys(client: Client, engine: AsyncEngine) -> None:
    ann = await signed_in(client, "ann@example.org")
    created = await _key(client, ann, "documents:read", "assistant:use")
    secret = created["secret"]
    assert secret.startswith("lore_")
    assert created["prefix"] == secret[: len(created["prefix"])]
    assert created["scopes"] == ["assistant:use", "documents:read"]

    listed = (await client.get(KEYS, headers=ann.headers)).json()["data"]
    assert [k["id"] for k in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert listed[0]["last_used_at"] is None
    async with engine.connect() as connection:
        stored = (await connection.execute(text("SELECT secret_hash FROM api_keys"))).scalar_one()
    assert secret not in stored

    me = await client.get(f"{USERS}/me", headers=bearer(secret))
    assert me.status_code == 200
    assert (await client.get(KEYS, headers=ann.headers)).json()["data"][0]["last_used_at"] is not None

    # a key cannot manage keys, passwords or sessions
    assert_error(
        await client.post(KEYS, json={"name": "x", "scopes": ["documents:read"]}, headers=bearer(secret)),
        403,
        "SESSION_REQUIRED",
    )
    assert_error(await client.get("/api/v1/auth/sessions", headers=bearer(secret)), 403, "SESSION_REQUIRED")

    assert (await client.delete(f"{KEYS}/{created['id']}", headers=ann.headers)).status_code == 204
    assert_error(await client.get(f"{USERS}/me", headers=bearer(secret)), 401, "INVALID_TOKEN")
    assert (await client.get(KEYS, headers=ann.headers)).json()["data"][0]["revoked_at"] is not None


async def test_api_key_rules(client: Client, engine: AsyncEngine) -> None:
    ann = await signed_in(client, "ann@example.org")
    error = assert_error(
        await client.post(KEYS, json={"name": "x", "scopes": ["users:read"]}, headers=ann.headers),
        403,
        "SCOPE_NOT_ALLOWED",
    )
    assert error["details"] == {"scopes": ["users:read"]}
    assert_error(
        await client.post(KEYS, json={"name": "x", "scopes": []}, headers=ann.headers), 422, "VALIDATION_ERROR"
    )
    assert_error(
        await client.post(KEYS, json={"name": "x", "scopes": ["root"]}, headers=ann.headers), 422, "VALIDATION_ERROR"
    )
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert_error(
        await client.post(
            KEYS, json={"name": "x", "scopes": ["documents:read"], "expires_at": past}, headers=ann.headers
        ),
        422,
        "VALIDATION_ERROR",
    )
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    key = await _key(client, ann, "documents:read", expires_at=soon)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE api_keys SET expires_at = now() - interval '1 second'"))
    assert_error(await client.get(f"{USERS}/me", headers=bearer(key["secret"])), 401, "INVALID_TOKEN")


async def test_an_admin_key_loses_rights_when_its_owner_is_demoted(client: Client) -> None:
    root = await signed_in(client, "root@example.org", Role.ADMIN)
    boss = await signed_in(client, "boss@example.org", Role.ADMIN)
    key = await _key(client, boss, "users:read")
    assert (await client.get(USERS, headers=bearer(key["secret"]))).status_code == 200
    documents_key = await _key(client, boss, "documents:read")
    assert_error(await client.get(USERS, headers=bearer(documents_key["secret"])), 403, "FORBIDDEN")

    await client.patch(f"{USERS}/{boss.id}", json={"role": "member"}, headers=root.headers)
    assert_error(await client.get(USERS, headers=bearer(key["secret"])), 403, "FORBIDDEN")


async def test_two_user_matrix(client: Client) -> None:
    """A member can neither read, change nor delete another user's account, sessions or keys."""
    ann = await signed_in(client, "ann@example.org")
    bob = await signed_in(client, "bob@example.org")
    bob_key = await _key(client, bob, "documents:read")
    bob_session = (await client.get("/api/v1/auth/sessions", headers=bob.headers)).json()["data"][0]["id"]

    assert_error(await client.get(f"{USERS}/{bob.id}", headers=ann.headers), 403, "FORBIDDEN")
    assert_error(
        await client.patch(f"{USERS}/{bob.id}", json={"display_name": "x"}, headers=ann.headers), 403, "FORBIDDEN"
    )
    assert_error(await client.delete(f"{USERS}/{bob.id}", headers=ann.headers), 403, "FORBIDDEN")
    assert_error(await client.get(USERS, headers=ann.headers), 403, "FORBIDDEN")
    assert_error(await client.delete(f"/api/v1/auth/sessions/{bob_session}", headers=ann.headers), 404, "NOT_FOUND")
    assert_error(await client.delete(f"{KEYS}/{bob_key['id']}", headers=ann.headers), 404, "NOT_FOUND")
    assert (await client.get(KEYS, headers=ann.headers)).json()["data"] == []
    # no raising one's own role, by either route
    assert_error(await client.patch(f"{USERS}/{ann.id}", json={"role": "admin"}, headers=ann.headers), 403, "FORBIDDEN")
    assert_error(
        await client.patch(f"{USERS}/me", json={"role": "admin"}, headers=ann.headers), 422, "VALIDATION_ERROR"
    )

    # bob is untouched
    assert (await client.get(f"{USERS}/me", headers=bob.headers)).json()["data"]["display_name"] == "bob"
    assert (await client.get(f"{USERS}/me", headers=bearer(bob_key["secret"]))).status_code == 200
    assert len((await client.get("/api/v1/auth/sessions", headers=bob.headers)).json()["data"]) == 1


async def test_email_is_visible_to_self_and_admins_only(client: Client) -> None:
    admin = await signed_in(client, "root@example.org", Role.ADMIN)
    ann = await signed_in(client, "ann@example.org")
    assert (await client.get(f"{USERS}/{ann.id}", headers=admin.headers)).json()["data"]["email"] == "ann@example.org"
    assert "email" in (await client.get(f"{USERS}/me", headers=ann.headers)).json()["data"]


async def test_audit_trail(client: Client) -> None:
    admin = await signed_in(client, "root@example.org", Role.ADMIN)
    ann = await signed_in(client, "ann@example.org")
    await login(client, "ann@example.org", "wrong password")
    await client.patch(f"{USERS}/{ann.id}", json={"role": "editor"}, headers=admin.headers)
    await _key(client, ann, "documents:read")

    events = (await client.get("/api/v1/audit-events", headers=admin.headers)).json()
    actions = [e["action"] for e in events["data"]]
    for expected in ("auth.login_failed", "auth.login_succeeded", "user.role_changed", "api_key.created"):
        assert expected in actions
    assert events["meta"]["total"] == len(actions)

    failed = (
        await client.get("/api/v1/audit-events", params={"action": "auth.login_failed"}, headers=admin.headers)
    ).json()
    assert [e["details"]["reason"] for e in failed["data"]] == ["wrong_password"]
    by_admin = (await client.get("/api/v1/audit-events", params={"actor_id": admin.id}, headers=admin.headers)).json()
    assert {e["action"] for e in by_admin["data"]} == {"auth.login_succeeded", "user.role_changed"}
    role_change = next(e for e in by_admin["data"] if e["action"] == "user.role_changed")
    assert role_change["details"] == {"old": "member", "new": "editor"}
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    later = (await client.get("/api/v1/audit-events", params={"since": future}, headers=admin.headers)).json()
    assert later["data"] == []
    assert_error(await client.get("/api/v1/audit-events", headers=ann.headers), 403, "FORBIDDEN")
    assert_error(
        await client.get("/api/v1/audit-events", params={"action": "nope"}, headers=admin.headers),
        422,
        "VALIDATION_ERROR",
    )
