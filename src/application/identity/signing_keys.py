"""Rotating the access-token signing keys (`lore keys ...`, and the first key at start-up)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from application.shared.ports import Clock
from domain.identity.signing_keys import KeyState, SigningKey, state_at
from domain.shared.errors import ConflictError, NotFoundError


class SigningKeyStore(Protocol):
    """Where every process finds the keys; the private halves are stored sealed (encrypted)."""

    async def list_keys(self) -> list[SigningKey]:
        """Every stored key, oldest first."""
        ...

    async def sealed_private_key(self, kid: str) -> bytes | None: ...

    async def add_first(self, key: SigningKey, sealed_private_key: bytes) -> bool:
        """Adds the key only when none is stored (several processes may start at once); True if it did."""
        ...

    async def add_successor(self, key: SigningKey, sealed_private_key: bytes) -> None:
        """Adds the key and, in the same transaction, retires every unretired key at ``key.activates_at``."""
        ...

    async def remove(self, kids: Sequence[str]) -> None: ...


class SigningKeyGenerator(Protocol):
    def generate(self, created_at: datetime, activates_at: datetime) -> tuple[SigningKey, bytes]:
        """A new key pair: its public record and its sealed private half."""
        ...


@dataclass(frozen=True, slots=True)
class SigningKeyPolicy:
    # how long a retired key keeps verifying: the access-token TTL plus the verifiers' clock-skew leeway
    grace: timedelta
    # how long a new key is published before it signs: every process and JWKS cache must know it by then
    activation_delay: timedelta


@dataclass(frozen=True, slots=True)
class KeyStatus:
    key: SigningKey
    state: KeyState


@dataclass(frozen=True, slots=True)
class Rotation:
    added: SigningKey
    removed: list[str]


class ManageSigningKeys:
    def __init__(
        self, store: SigningKeyStore, generator: SigningKeyGenerator, clock: Clock, policy: SigningKeyPolicy
    ) -> None:
        self._store = store
        self._generator = generator
        self._clock = clock
        self._policy = policy

    async def ensure(self) -> bool:
        """A first key, signing at once, when there is none (a fresh install); True if it made one."""
        now = self._clock.now()
        key, sealed = self._generator.generate(now, now)
        return await self._store.add_first(key, sealed)

    async def rotate(self, *, at_once: bool = False) -> Rotation:
        """A new key that signs after the activation delay (``at_once``: now, for a compromised key, at the cost
        of processes that have not reloaded yet refusing the new key's tokens until they do); the current one
        retires then. Expired keys go."""
        removed = await self.prune()
        now = self._clock.now()
        key, sealed = self._generator.generate(now, now if at_once else now + self._policy.activation_delay)
        await self._store.add_successor(key, sealed)
        return Rotation(added=key, removed=removed)

    async def prune(self) -> list[str]:
        """Removes the keys no live token can have been signed with; their kids."""
        now = self._clock.now()
        expired = [key.kid for key in await self._store.list_keys() if not key.verifies_at(now, self._policy.grace)]
        if expired:
            await self._store.remove(expired)
        return expired

    async def remove(self, kid: str) -> None:
        """Removes one key at once (a compromised one): the tokens it signed stop verifying at every process's
        next reload. The key that signs now cannot go: rotate with ``at_once`` first."""
        statuses = {status.key.kid: status for status in await self.list()}
        status = statuses.get(kid)
        if status is None:
            raise NotFoundError(f"No signing key {kid}.", code="SIGNING_KEY_NOT_FOUND")
        if status.state is KeyState.CURRENT:
            raise ConflictError(
                "This key signs the access tokens now; run `lore keys rotate --now` first.", code="KEY_IN_USE"
            )
        await self._store.remove([kid])

    async def list(self) -> list[KeyStatus]:
        now = self._clock.now()
        keys = await self._store.list_keys()
        return [KeyStatus(key, state_at(key, keys, now, self._policy.grace)) for key in keys]
