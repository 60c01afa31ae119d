"""An address proved after the fact (a provider-verified email, a reset link) ends what the account's unproven
holder set up: linked identities, API keys and the TOTP enrolment, besides the password and sessions."""

from __future__ import annotations

from uuid import uuid4

import pytest

from application.identity.accounts import NewAccount
from application.identity.api_keys import NewApiKey
from domain.identity.errors import OidcEmailNotVerifiedError
from domain.identity.mfa import MfaEnrolment
from domain.identity.models import ExternalIdentity, User
from domain.identity.principal import Principal
from domain.identity.roles import Permission
from tests.unit.identity.test_oidc import Oidc
from tests.unit.identity_world import GOOD_PASSWORD, World

EMAIL = "ann@example.org"
NEW_PASSWORD = "an entirely new passphrase"


async def _holding(world: World, user: User) -> None:
    """A linked identity at another provider, an API key and a TOTP enrolment."""
    now = world.clock.now()
    await world.identities.add(ExternalIdentity(uuid4(), user.id, "other", "sub-holder", None, now))
    await world.create_key().execute(
        Principal(user.id, user.role, session_id=uuid4()), NewApiKey("k", frozenset({Permission.DOCUMENTS_READ}))
    )
    await world.mfa.save(MfaEnrolment(user.id, "sealed", now, confirmed_at=now))


async def _unverified(world: World) -> User:
    await world.register().execute(NewAccount(EMAIL, GOOD_PASSWORD, "Ann"))
    user = await world.users.get_by_email(EMAIL)
    assert user is not None
    assert not user.is_verified
    await _holding(world, user)
    return user


def _held(world: World, user: User) -> tuple[list[str], int, bool]:
    subjects = sorted(i.subject for i in world.identities.rows.values() if i.user_id == user.id)
    keys = sum(1 for k in world.keys.rows.values() if k.user_id == user.id and k.revoked_at is None)
    return subjects, keys, user.id in world.mfa.rows


async def test_a_reset_that_proves_the_address_ends_the_holders_ways_in() -> None:
    world = World()
    user = await _unverified(world)
    await world.forgot().execute(EMAIL)
    await world.reset().execute(world.outbox.token_for(EMAIL), NEW_PASSWORD)
    assert _held(world, user) == ([], 0, False)
    details = world.audit.events[-1].details
    assert (details["identities_removed"], details["api_keys_revoked"], details["mfa_removed"]) == (1, 1, True)


async def test_a_reset_of_a_verified_account_keeps_its_identities_keys_and_mfa() -> None:
    world = World()
    user = await world.user()
    await _holding(world, user)
    await world.forgot().execute(EMAIL)
    await world.reset().execute(world.outbox.token_for(EMAIL), NEW_PASSWORD)
    assert _held(world, user) == (["sub-holder"], 1, True)


async def test_a_provider_verified_email_claims_the_account_and_ends_the_holders_ways_in() -> None:
    oidc = Oidc()
    user = await _unverified(oidc.world)
    outcome = await oidc.finish().execute("idp", await oidc.round_trip())
    assert outcome.user.id == user.id
    assert outcome.tokens is not None  # the holder's TOTP enrolment is gone, so no code step
    assert _held(oidc.world, user) == (["sub-1"], 0, False)  # only the claimant's identity


async def test_an_unverified_provider_email_makes_no_account() -> None:
    oidc = Oidc()
    with pytest.raises(OidcEmailNotVerifiedError, match="no account is made"):
        await oidc.finish().execute("idp", await oidc.round_trip(email_verified=False))
    assert oidc.world.users.rows == {}
    assert oidc.world.identities.rows == {}
