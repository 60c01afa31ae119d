from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from application.identity.api_keys import NewApiKey, split_key
from application.identity.ports import AuditQuery, UserQuery
from application.identity.users import UserChanges
from application.shared.ports import PageRequest
from domain.identity.errors import (
    InteractiveSessionRequiredError,
    InvalidTokenError,
    ScopeExceedsRoleError,
    SelfLockoutError,
)
from domain.identity.principal import Principal
from domain.identity.roles import Permission, Role
from domain.shared.errors import NotFoundError, PermissionDeniedError, ValidationError
from tests.unit.identity_world import World


async def _principal(world: World, email: str, role: Role) -> Principal:
    _, pair = await world.signed_in(email, role)
    return await world.authenticate().execute(pair.access_token)


async def test_admin_manages_users_and_deactivation_cuts_access() -> None:
    world = World()
    admin = await _principal(world, "root@example.org", Role.ADMIN)
    _, pair = await world.signed_in("ann@example.org")
    ann = await world.authenticate().execute(pair.access_token)
    created = await world.create_key().execute(ann, NewApiKey("ci", frozenset({Permission.DOCUMENTS_READ})))

    updated = await world.update_user().execute(admin, ann.user_id, UserChanges(role=Role.EDITOR))
    assert updated.role is Role.EDITOR
    assert (await world.authenticate().execute(pair.access_token)).role is Role.EDITOR  # live, not from the JWT

    await world.update_user().execute(admin, ann.user_id, UserChanges(is_active=False))
    with pytest.raises(InvalidTokenError):
        await world.authenticate().execute(pair.access_token)
    with pytest.raises(InvalidTokenError):
        await world.authenticate().execute(created.secret)
    actions = world.audit.actions()
    assert "user.role_changed" in actions
    assert "user.deactivated" in actions

    reactivated = await world.update_user().execute(admin, ann.user_id, UserChanges(is_active=True))
    assert reactivated.is_active
    assert "user.reactivated" in world.audit.actions()


async def test_admins_cannot_lock_themselves_out() -> None:
    world = World()
    admin = await _principal(world, "root@example.org", Role.ADMIN)
    with pytest.raises(SelfLockoutError):
        await world.update_user().execute(admin, admin.user_id, UserChanges(role=Role.MEMBER))
    with pytest.raises(SelfLockoutError):
        await world.update_user().execute(admin, admin.user_id, UserChanges(is_active=False))
    with pytest.raises(SelfLockoutError):
        await world.delete_user().execute(admin, admin.user_id)
    renamed = await world.update_user().execute(admin, admin.user_id, UserChanges(display_name="Root"))
    assert renamed.display_name == "Root"


async def test_members_cannot_administer() -> None:
    world = World()
    member = await _principal(world, "ann@example.org", Role.MEMBER)
    other = await world.user("bob@example.org")
    page = UserQuery(page=PageRequest())
    for call in (
        world.list_users().execute(member, page),
        world.get_user().execute(member, other.id),
        world.update_user().execute(member, other.id, UserChanges(role=Role.ADMIN)),
        world.update_user().execute(member, member.user_id, UserChanges(role=Role.ADMIN)),
        world.delete_user().execute(member, other.id),
        world.list_audit().execute(member, AuditQuery(page=page.page)),
    ):
        with pytest.raises(PermissionDeniedError):
            await call
    assert world.users.rows[member.user_id].role is Role.MEMBER


async def test_admin_lists_gets_and_deletes() -> None:
    world = World()
    admin = await _principal(world, "root@example.org", Role.ADMIN)
    bob = await world.user("bob@example.org")
    page = await world.list_users().execute(admin, UserQuery(page=PageRequest(), role=Role.MEMBER))
    assert [u.email for u in page.items] == ["bob@example.org"]
    assert (await world.get_user().execute(admin, bob.id)).email == "bob@example.org"
    await world.delete_user().execute(admin, bob.id)
    with pytest.raises(NotFoundError):
        await world.get_user().execute(admin, bob.id)
    with pytest.raises(NotFoundError):
        await world.delete_user().execute(admin, bob.id)
    with pytest.raises(NotFoundError):
        await world.update_user().execute(admin, bob.id, UserChanges(display_name="x"))


async def test_profile_update_changes_only_the_name() -> None:
    world = World()
    me = await _principal(world, "ann@example.org", Role.MEMBER)
    user = await world.update_me().execute(me, display_name="  Ann  B ")
    assert user.display_name == "Ann B"
    assert (await world.get_me().execute(me)).display_name == "Ann B"
    unchanged = await world.update_me().execute(me, display_name=None)
    assert unchanged == user


async def test_api_keys_are_scoped_below_their_owner() -> None:
    world = World()
    member = await _principal(world, "ann@example.org", Role.MEMBER)
    with pytest.raises(ScopeExceedsRoleError) as caught:
        await world.create_key().execute(member, NewApiKey("x", frozenset({Permission.USERS_READ})))
    assert caught.value.details == {"scopes": ["users:read"]}
    for bad in (NewApiKey("x", frozenset()), NewApiKey(" ", frozenset({Permission.DOCUMENTS_READ}))):
        with pytest.raises(ValidationError):
            await world.create_key().execute(member, bad)
    past = NewApiKey("x", frozenset({Permission.DOCUMENTS_READ}), expires_at=world.clock.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError):
        await world.create_key().execute(member, past)

    created = await world.create_key().execute(member, NewApiKey("ci", frozenset({Permission.DOCUMENTS_READ})))
    assert created.secret.startswith("lore_")
    assert split_key(created.secret) == (created.key.prefix, created.secret)
    assert created.secret not in created.key.secret_hash
    via_key = await world.authenticate().execute(created.secret)
    assert via_key.permissions == {Permission.DOCUMENTS_READ}
    with pytest.raises(InteractiveSessionRequiredError):
        await world.create_key().execute(via_key, NewApiKey("more", frozenset({Permission.DOCUMENTS_READ})))
    assert [k.id for k in await world.list_keys().execute(member)] == [created.key.id]


async def test_api_key_use_is_tracked_and_revocation_is_immediate() -> None:
    world = World()
    member = await _principal(world, "ann@example.org", Role.MEMBER)
    created = await world.create_key().execute(member, NewApiKey("ci", frozenset({Permission.DOCUMENTS_READ})))
    await world.authenticate().execute(created.secret)
    assert world.keys.rows[created.key.id].last_used_at == world.clock.now()
    await world.revoke_key().execute(member, created.key.id)
    with pytest.raises(InvalidTokenError):
        await world.authenticate().execute(created.secret)
    assert "api_key.revoked" in world.audit.actions()


async def test_expired_tampered_and_foreign_keys() -> None:
    world = World()
    member = await _principal(world, "ann@example.org", Role.MEMBER)
    other = await _principal(world, "bob@example.org", Role.MEMBER)
    soon = NewApiKey("ci", frozenset({Permission.DOCUMENTS_READ}), expires_at=world.clock.now() + timedelta(hours=1))
    created = await world.create_key().execute(member, soon)
    with pytest.raises(InvalidTokenError):
        await world.authenticate().execute(created.secret[:-1] + ("A" if created.secret[-1] != "A" else "B"))
    with pytest.raises(NotFoundError):
        await world.revoke_key().execute(other, created.key.id)
    with pytest.raises(NotFoundError):
        await world.revoke_key().execute(other, uuid4())
    world.clock.advance(timedelta(hours=2))
    with pytest.raises(InvalidTokenError):
        await world.authenticate().execute(created.secret)


@pytest.mark.parametrize("credential", ["lore_short_x", "lore_abcdefghijkl", "garbage", "at.x.y.member"])
async def test_malformed_credentials_are_invalid(credential: str) -> None:
    with pytest.raises(InvalidTokenError):
        await World().authenticate().execute(credential)


async def test_only_an_api_keys_first_use_is_audited_with_the_key_as_actor() -> None:
    world = World()
    member = await _principal(world, "ann@example.org", Role.MEMBER)
    created = await world.create_key().execute(member, NewApiKey("ci", frozenset({Permission.DOCUMENTS_READ})))
    for _ in range(2):
        await world.authenticate().execute(created.secret)
    world.clock.advance(timedelta(days=2))  # past the touch interval: touched again, not audited again
    await world.authenticate().execute(created.secret)

    first = [event for event in world.audit.events if event.action.value == "api_key.first_used"]
    assert len(first) == 1
    assert (first[0].actor_id, first[0].actor_key_id) == (member.user_id, created.key.id)
    assert (first[0].target_type, first[0].target_id) == ("api_key", str(created.key.id))
    assert world.keys.rows[created.key.id].last_used_at == world.clock.now()
