from __future__ import annotations

from uuid import uuid4

import pytest

from application.identity.accounts import NewAccount
from application.identity.login import Credentials
from domain.identity.errors import (
    InvalidCredentialsError,
    InvalidCurrentPasswordError,
    InvalidOneTimeTokenError,
    InvalidTokenError,
    TooManyAttemptsError,
    WeakPasswordError,
)
from domain.identity.principal import Principal
from domain.shared.errors import NotFoundError
from tests.unit.identity_world import GOOD_PASSWORD, World

NEW_PASSWORD = "a brand new secret"


async def test_sessions_are_listed_with_the_current_one_marked_and_revocable() -> None:
    world = World()
    _, first = await world.signed_in()
    second = await world.login().execute(Credentials("ann@example.org", GOOD_PASSWORD))
    me = await world.authenticate().execute(first.access_token)
    views = await world.list_sessions().execute(me)
    assert {v.session.id: v.current for v in views} == {first.session_id: True, second.session_id: False}

    await world.revoke_session().execute(me, second.session_id)
    with pytest.raises(InvalidTokenError):
        await world.authenticate().execute(second.access_token)
    with pytest.raises(NotFoundError):
        await world.revoke_session().execute(me, second.session_id)


async def test_someone_elses_session_is_not_found() -> None:
    world = World()
    _, ann = await world.signed_in()
    _, bob = await world.signed_in("bob@example.org")
    me = await world.authenticate().execute(ann.access_token)
    with pytest.raises(NotFoundError):
        await world.revoke_session().execute(me, bob.session_id)
    with pytest.raises(NotFoundError):
        await world.revoke_session().execute(me, uuid4())
    assert world.sessions.rows[bob.session_id].revoked_at is None


async def test_logout_all_ends_every_session() -> None:
    world = World()
    _, first = await world.signed_in()
    second = await world.login().execute(Credentials("ann@example.org", GOOD_PASSWORD))
    me = await world.authenticate().execute(first.access_token)
    assert await world.logout_all().execute(me) == 2
    for pair in (first, second):
        with pytest.raises(InvalidTokenError):
            await world.authenticate().execute(pair.access_token)


async def test_password_reset_flow() -> None:
    world = World()
    _, pair = await world.signed_in()
    await world.forgot().execute("ANN@example.org")
    token = world.outbox.token_for("ann@example.org")
    assert "https://lore.test/reset-password?token=" in world.outbox.sent[-1].text

    await world.reset().execute(token, NEW_PASSWORD)
    with pytest.raises(InvalidTokenError):
        await world.authenticate().execute(pair.access_token)
    with pytest.raises(InvalidCredentialsError):
        await world.login().execute(Credentials("ann@example.org", GOOD_PASSWORD))
    await world.login().execute(Credentials("ann@example.org", NEW_PASSWORD))
    with pytest.raises(InvalidOneTimeTokenError):
        await world.reset().execute(token, "yet another secret")
    assert "user.password_reset" in world.audit.actions()


async def test_forgot_password_reveals_nothing_about_unknown_accounts() -> None:
    world = World()
    await world.forgot().execute("nobody@example.org")
    await world.forgot().execute("not an email")
    assert world.outbox.sent == []
    assert world.uow.commits == 0


async def test_a_new_reset_request_invalidates_the_previous_link() -> None:
    world = World()
    await world.user()
    await world.forgot().execute("ann@example.org")
    old = world.outbox.token_for("ann@example.org")
    await world.forgot().execute("ann@example.org")
    with pytest.raises(InvalidOneTimeTokenError):
        await world.reset().execute(old, NEW_PASSWORD)


async def test_reset_refuses_a_weak_password() -> None:
    world = World()
    await world.user()
    await world.forgot().execute("ann@example.org")
    with pytest.raises(WeakPasswordError):
        await world.reset().execute(world.outbox.token_for("ann@example.org"), "password")


async def test_change_password_keeps_only_the_current_session() -> None:
    world = World()
    _, current = await world.signed_in()
    other = await world.login().execute(Credentials("ann@example.org", GOOD_PASSWORD))
    me = await world.authenticate().execute(current.access_token)

    with pytest.raises(InvalidCurrentPasswordError):
        await world.change_password().execute(me, "wrong", NEW_PASSWORD)
    with pytest.raises(WeakPasswordError):
        await world.change_password().execute(me, GOOD_PASSWORD, "password1")

    await world.change_password().execute(me, GOOD_PASSWORD, NEW_PASSWORD)
    await world.authenticate().execute(current.access_token)
    with pytest.raises(InvalidTokenError):
        await world.authenticate().execute(other.access_token)
    await world.login().execute(Credentials("ann@example.org", NEW_PASSWORD))


async def test_change_password_needs_a_person_not_a_key() -> None:
    world = World()
    user = await world.user()
    key_principal = Principal(user.id, user.role, api_key_id=uuid4(), scopes=frozenset())
    with pytest.raises(Exception, match="API keys cannot"):
        await world.change_password().execute(key_principal, GOOD_PASSWORD, NEW_PASSWORD)


async def test_email_sending_requests_are_capped_per_address_and_client() -> None:
    world = World()
    await world.user()
    for _ in range(5):
        await world.forgot().execute("ann@example.org", ip_address="10.0.0.1")
    with pytest.raises(TooManyAttemptsError):
        await world.forgot().execute("ann@example.org", ip_address="10.0.0.2")
    # an unknown address is capped the same way, so the 429 tells nothing about accounts
    for _ in range(5):
        await world.forgot().execute("ghost@example.org")
    with pytest.raises(TooManyAttemptsError):
        await world.forgot().execute("ghost@example.org")
    for n in range(20):  # registrations from one client address
        await world.register().execute(NewAccount(f"r{n}@example.org", GOOD_PASSWORD, "R"), ip_address="10.9.9.9")
    with pytest.raises(TooManyAttemptsError):
        await world.register().execute(NewAccount("r99@example.org", GOOD_PASSWORD, "R"), ip_address="10.9.9.9")
    await world.register().execute(NewAccount("other@example.org", GOOD_PASSWORD, "O"), ip_address="10.1.1.1")
