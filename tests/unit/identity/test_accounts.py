from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from application.identity.accounts import NewAccount, RegisterUser
from domain.identity.errors import EmailTakenError, InvalidOneTimeTokenError, WeakPasswordError
from domain.identity.roles import Role
from tests.support.identity_fakes import POLICY, CapturingOutbox
from tests.unit.identity_world import GOOD_PASSWORD, World


async def test_register_creates_an_unverified_member_and_queues_a_link() -> None:
    world = World()
    user = await world.register().execute(
        NewAccount(" Ann@Example.org ", GOOD_PASSWORD, " Ann ", role=Role.ADMIN, verified=True)
    )
    assert user.email == "ann@example.org"
    assert user.display_name == "Ann"
    assert user.role is Role.MEMBER  # a self-registration can never choose its role
    assert not user.is_verified
    assert user.password_hash == f"v2${GOOD_PASSWORD}"
    assert world.uow.commits == 1
    assert world.audit.actions() == ["user.registered"]
    (message,) = world.outbox.sent
    assert message.to == "ann@example.org"
    assert "https://lore.test/verify-email?token=" in message.text


async def test_register_gives_the_configured_default_role_whatever_the_caller_asks() -> None:
    world = World()
    policy = replace(POLICY, registration_role=Role.EDITOR)
    register = RegisterUser(
        world.accounts, world.mail_throttle, world.tokens, world.outbox, world.auditor, world.uow, policy
    )
    editor = await register.execute(NewAccount("ed@example.org", GOOD_PASSWORD, "Ed"))
    assert editor.role is Role.EDITOR
    asked = await register.execute(NewAccount("al@example.org", GOOD_PASSWORD, "Al", role=Role.ADMIN))
    assert asked.role is Role.EDITOR
    assert {user.role for user in world.users.rows.values()} == {Role.EDITOR}


async def test_register_rejects_duplicates_and_weak_passwords() -> None:
    world = World()
    await world.register().execute(NewAccount("ann@example.org", GOOD_PASSWORD, "Ann"))
    with pytest.raises(EmailTakenError):
        await world.register().execute(NewAccount("ANN@example.org", GOOD_PASSWORD, "Ann"))
    with pytest.raises(WeakPasswordError):
        await world.register().execute(NewAccount("bob@example.org", "password1", "Bob"))
    assert len(world.users.rows) == 1


async def test_a_queue_outage_does_not_fail_a_committed_registration(caplog: pytest.LogCaptureFixture) -> None:
    world = World(outbox=CapturingOutbox(fail=True))
    user = await world.register().execute(NewAccount("ann@example.org", GOOD_PASSWORD, "Ann"))
    assert user.id in world.users.rows
    assert "could not queue email" in caplog.text


async def test_verification_is_single_use_and_expires() -> None:
    world = World()
    await world.register().execute(NewAccount("ann@example.org", GOOD_PASSWORD, "Ann"))
    token = world.outbox.token_for("ann@example.org")
    user = await world.verify().execute(token)
    assert user.is_verified
    with pytest.raises(InvalidOneTimeTokenError):
        await world.verify().execute(token)

    await world.register().execute(NewAccount("bob@example.org", GOOD_PASSWORD, "Bob"))
    late = world.outbox.token_for("bob@example.org")
    world.clock.advance(timedelta(hours=24, seconds=1))
    with pytest.raises(InvalidOneTimeTokenError):
        await world.verify().execute(late)


async def test_resend_replaces_the_old_link_and_ignores_unknown_or_verified() -> None:
    world = World()
    await world.register().execute(NewAccount("ann@example.org", GOOD_PASSWORD, "Ann"))
    first = world.outbox.token_for("ann@example.org")
    await world.resend().execute("ann@example.org")
    second = world.outbox.token_for("ann@example.org")
    assert first != second
    with pytest.raises(InvalidOneTimeTokenError):
        await world.verify().execute(first)
    await world.verify().execute(second)
    sent = len(world.outbox.sent)
    await world.resend().execute("ann@example.org")  # verified already
    await world.resend().execute("nobody@example.org")
    await world.resend().execute("not-an-email")
    assert len(world.outbox.sent) == sent
