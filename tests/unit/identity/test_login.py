from __future__ import annotations

from datetime import timedelta

import pytest

from application.identity.accounts import NewAccount
from application.identity.login import Credentials
from domain.identity.errors import (
    AccountDisabledError,
    EmailNotVerifiedError,
    InvalidCredentialsError,
    InvalidTokenError,
    TokenReusedError,
    TooManyAttemptsError,
)
from tests.support.identity_fakes import FakeHasher
from tests.unit.identity_world import GOOD_PASSWORD, World


async def test_login_issues_a_session_and_token_pair() -> None:
    world = World()
    user, pair = await world.signed_in()
    assert pair.expires_in == 900
    session = world.sessions.rows[pair.session_id]
    assert session.user_id == user.id
    assert session.ip_address == "10.0.0.1"
    assert "auth.login_succeeded" in world.audit.actions()


async def test_unknown_email_and_wrong_password_look_the_same() -> None:
    world = World()
    await world.user()
    errors = []
    for email, password in [("nobody@example.org", GOOD_PASSWORD), ("ann@example.org", "wrong password")]:
        with pytest.raises(InvalidCredentialsError) as caught:
            await world.login().execute(Credentials(email, password))
        errors.append((caught.value.code, caught.value.message))
    assert errors[0] == errors[1]
    # the unknown email still paid for a hash verification
    assert world.hasher.verifications[0] == world.hasher.dummy_hash
    assert world.audit.actions().count("auth.login_failed") == 2


async def test_unverified_and_deactivated_accounts_cannot_sign_in() -> None:
    world = World()
    await world.register().execute(NewAccount("ann@example.org", GOOD_PASSWORD, "Ann"))
    with pytest.raises(EmailNotVerifiedError):
        await world.login().execute(Credentials("ann@example.org", GOOD_PASSWORD))
    user = await world.user("bob@example.org")
    world.users.rows[user.id] = user.with_changes(is_active=False)
    with pytest.raises(AccountDisabledError):
        await world.login().execute(Credentials("bob@example.org", GOOD_PASSWORD))


async def test_failures_per_account_lock_it_for_everyone() -> None:
    world = World()
    await world.user()
    for attempt in range(5):
        with pytest.raises(InvalidCredentialsError):
            await world.login().execute(Credentials("ann@example.org", "wrong", ip_address=f"10.0.0.{attempt}"))
    with pytest.raises(TooManyAttemptsError) as caught:
        await world.login().execute(Credentials("ann@example.org", GOOD_PASSWORD, ip_address="10.9.9.9"))
    assert caught.value.retry_after_seconds == 900


async def test_failures_per_address_block_that_address() -> None:
    world = World()
    await world.user()
    for n in range(20):
        with pytest.raises(InvalidCredentialsError):
            await world.login().execute(Credentials(f"user{n}@example.org", "wrong", ip_address="10.6.6.6"))
    with pytest.raises(TooManyAttemptsError):
        await world.login().execute(Credentials("ann@example.org", GOOD_PASSWORD, ip_address="10.6.6.6"))
    await world.login().execute(Credentials("ann@example.org", GOOD_PASSWORD, ip_address="10.0.0.1"))


async def test_success_clears_the_account_counter() -> None:
    world = World()
    await world.user()
    for _ in range(4):
        with pytest.raises(InvalidCredentialsError):
            await world.login().execute(Credentials("ann@example.org", "wrong"))
    await world.login().execute(Credentials("ann@example.org", GOOD_PASSWORD))
    assert "login:account:ann@example.org" not in world.limiter.failures


async def test_outdated_hashes_are_upgraded_at_sign_in() -> None:
    world = World(hasher=FakeHasher(scheme="v1"))
    user = await world.user()
    world.hasher.scheme = "v2"
    await world.login().execute(Credentials("ann@example.org", GOOD_PASSWORD))
    assert world.users.rows[user.id].password_hash == f"v2${GOOD_PASSWORD}"


async def test_refresh_rotates_and_reuse_revokes_the_family() -> None:
    world = World()
    _, first = await world.signed_in()
    second = await world.refresh_tokens().execute(first.refresh_token)
    assert second.session_id == first.session_id
    assert second.refresh_token != first.refresh_token
    third = await world.refresh_tokens().execute(second.refresh_token)

    with pytest.raises(TokenReusedError):
        await world.refresh_tokens().execute(first.refresh_token)
    assert world.sessions.rows[first.session_id].revoked_reason == "refresh_token_reused"
    assert "auth.refresh_token_reused" in world.audit.actions()
    # the newest token of the family died with it
    with pytest.raises(InvalidTokenError):
        await world.refresh_tokens().execute(third.refresh_token)


async def test_refresh_rejects_unknown_expired_and_deactivated() -> None:
    world = World()
    _, pair = await world.signed_in()
    with pytest.raises(InvalidTokenError):
        await world.refresh_tokens().execute("never-issued")
    world.clock.advance(timedelta(days=31))
    with pytest.raises(InvalidTokenError):
        await world.refresh_tokens().execute(pair.refresh_token)

    _, other = await world.signed_in("bob@example.org")
    bob = await world.users.get_by_email("bob@example.org")
    assert bob is not None
    world.users.rows[bob.id] = bob.with_changes(is_active=False)
    with pytest.raises(InvalidTokenError):
        await world.refresh_tokens().execute(other.refresh_token)


async def test_logout_ends_the_session_and_is_idempotent() -> None:
    world = World()
    _, pair = await world.signed_in()
    await world.logout().execute(pair.refresh_token)
    assert world.sessions.rows[pair.session_id].revoked_reason == "logout"
    await world.logout().execute(pair.refresh_token)
    await world.logout().execute("unknown")
    assert world.audit.actions().count("auth.logout") == 1


async def test_blocked_sign_ins_are_audited_as_denied_with_the_reason() -> None:
    world = World()
    await world.register().execute(NewAccount("ann@example.org", GOOD_PASSWORD, "Ann"))
    bob = await world.user("bob@example.org")
    world.users.rows[bob.id] = bob.with_changes(is_active=False)
    await world.user("cy@example.org")
    for email, error in [("ann@example.org", EmailNotVerifiedError), ("bob@example.org", AccountDisabledError)]:
        with pytest.raises(error):
            await world.login().execute(Credentials(email, GOOD_PASSWORD, ip_address="10.0.0.7"))
    for _ in range(5):
        with pytest.raises(InvalidCredentialsError):
            await world.login().execute(Credentials("cy@example.org", "wrong"))
    with pytest.raises(TooManyAttemptsError):
        await world.login().execute(Credentials("cy@example.org", GOOD_PASSWORD))

    blocked = [event for event in world.audit.events if event.action.value == "auth.login_blocked"]
    assert [(event.details["reason"], event.outcome.value) for event in blocked] == [
        ("email_not_verified", "denied"),
        ("account_disabled", "denied"),
        ("throttled", "denied"),
    ]
    assert blocked[0].ip_address == "10.0.0.7"
    assert blocked[1].subject_id == bob.id
    failed = [event for event in world.audit.events if event.action.value == "auth.login_failed"]
    assert {event.outcome.value for event in failed} == {"failure"}
