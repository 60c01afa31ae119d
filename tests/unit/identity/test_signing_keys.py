"""Rotating signing keys: the schedule of a new key, retirement, pruning and the states an operator sees."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.identity.signing_keys import ManageSigningKeys, SigningKeyPolicy
from domain.identity.signing_keys import KeyState, signer_at
from domain.shared.errors import ConflictError, NotFoundError
from tests.support.identity_fakes import MovableClock
from tests.support.signing_fakes import CountingKeyGenerator, InMemorySigningKeys

GRACE = timedelta(minutes=16)
DELAY = timedelta(seconds=90)


def _manage() -> tuple[ManageSigningKeys, InMemorySigningKeys, MovableClock]:
    store, clock = InMemorySigningKeys(), MovableClock()
    return ManageSigningKeys(store, CountingKeyGenerator(), clock, SigningKeyPolicy(GRACE, DELAY)), store, clock


async def _states(manage: ManageSigningKeys) -> dict[str, KeyState]:
    return {status.key.kid: status.state for status in await manage.list()}


async def test_the_first_key_signs_at_once_and_is_made_once() -> None:
    manage, store, clock = _manage()
    assert await manage.ensure()
    assert not await manage.ensure()
    assert await _states(manage) == {"k1": KeyState.CURRENT}
    assert store.keys["k1"].activates_at == clock.now()


async def test_a_rotated_in_key_is_published_before_it_signs_and_the_old_one_retires_then() -> None:
    manage, store, clock = _manage()
    await manage.ensure()
    rotation = await manage.rotate()
    assert rotation.added.kid == "k2"
    assert rotation.removed == []
    assert rotation.added.activates_at == clock.now() + DELAY
    assert store.keys["k1"].retired_at == rotation.added.activates_at
    assert await _states(manage) == {"k1": KeyState.CURRENT, "k2": KeyState.PENDING}

    clock.advance(DELAY)
    assert await _states(manage) == {"k1": KeyState.RETIRED, "k2": KeyState.CURRENT}
    signer = signer_at(store.keys.values(), clock.now())
    assert signer is not None
    assert signer.kid == "k2"


async def test_a_retired_key_verifies_for_the_grace_then_is_pruned() -> None:
    manage, store, clock = _manage()
    await manage.ensure()
    await manage.rotate()
    clock.advance(DELAY + GRACE - timedelta(seconds=1))
    assert await manage.prune() == []  # a token signed just before the switch may still be live
    assert store.keys["k1"].verifies_at(clock.now(), GRACE)

    clock.advance(timedelta(seconds=1))
    assert await _states(manage) == {"k1": KeyState.EXPIRED, "k2": KeyState.CURRENT}
    assert await manage.prune() == ["k1"]
    assert set(store.keys) == {"k2"}
    assert await manage.prune() == []


async def test_rotate_removes_the_expired_keys_first() -> None:
    manage, store, clock = _manage()
    await manage.ensure()
    await manage.rotate()
    clock.advance(DELAY + GRACE)
    rotation = await manage.rotate()
    assert rotation.removed == ["k1"]
    assert set(store.keys) == {"k2", "k3"}
    assert store.keys["k2"].retired_at == rotation.added.activates_at


async def test_two_quick_rotations_retire_the_pending_key_too() -> None:
    manage, store, clock = _manage()
    await manage.ensure()
    await manage.rotate()
    clock.advance(timedelta(seconds=10))
    third = (await manage.rotate()).added
    # k2 still signs between its activation and k3's; k1 keeps the retirement it had
    assert store.keys["k2"].retired_at == third.activates_at
    assert store.keys["k1"].retired_at == clock.now() - timedelta(seconds=10) + DELAY
    clock.advance(DELAY)
    assert (await _states(manage))["k3"] is KeyState.CURRENT


async def test_rotate_now_signs_at_once_and_a_compromised_key_can_be_removed() -> None:
    manage, store, clock = _manage()
    await manage.ensure()
    with pytest.raises(ConflictError) as in_use:
        await manage.remove("k1")
    assert in_use.value.code == "KEY_IN_USE"
    added = (await manage.rotate(at_once=True)).added
    assert added.activates_at == clock.now()
    assert await _states(manage) == {"k1": KeyState.RETIRED, "k2": KeyState.CURRENT}
    await manage.remove("k1")
    assert set(store.keys) == {"k2"}
    with pytest.raises(NotFoundError) as missing:
        await manage.remove("k1")
    assert missing.value.code == "SIGNING_KEY_NOT_FOUND"
