"""An in-memory signing-key store, faithful to the port (first key only on an empty store, atomic retire)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from domain.identity.signing_keys import SigningKey


class InMemorySigningKeys:
    def __init__(self) -> None:
        self.keys: dict[str, SigningKey] = {}
        self.sealed: dict[str, bytes] = {}

    async def list_keys(self) -> list[SigningKey]:
        return sorted(self.keys.values(), key=lambda key: (key.created_at, key.kid))

    async def sealed_private_key(self, kid: str) -> bytes | None:
        return self.sealed.get(kid)

    async def add_first(self, key: SigningKey, sealed_private_key: bytes) -> bool:
        if self.keys:
            return False
        self._put(key, sealed_private_key)
        return True

    async def add_successor(self, key: SigningKey, sealed_private_key: bytes) -> None:
        for kid, old in self.keys.items():
            if old.retired_at is None:
                self.keys[kid] = replace(old, retired_at=key.activates_at)
        self._put(key, sealed_private_key)

    async def remove(self, kids: Sequence[str]) -> None:
        for kid in kids:
            self.keys.pop(kid, None)
            self.sealed.pop(kid, None)

    def _put(self, key: SigningKey, sealed: bytes) -> None:
        self.keys[key.kid] = key
        self.sealed[key.kid] = sealed


class CountingKeyGenerator:
    """Keys named k1, k2, ...; the sealed half is the kid (the use cases never open it)."""

    def __init__(self) -> None:
        self.made = 0

    def generate(self, created_at: datetime, activates_at: datetime) -> tuple[SigningKey, bytes]:
        self.made += 1
        kid = f"k{self.made}"
        return SigningKey(kid, bytes(32), created_at, activates_at), kid.encode()
