"""The life of an access-token signing key: pending, signing, retired (still verifying), removed.

A new key is published (JWKS, every process's ring) before it signs anything, so every verifier knows it by
the time the first token it signed arrives; a retired key keeps verifying until every token it signed has
expired (``grace``: the access-token TTL plus a clock-skew leeway), and is then removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

ALGORITHM = "EdDSA"  # Ed25519 (RFC 8037); the only algorithm a Lore access token is signed or verified with


class KeyState(StrEnum):
    PENDING = "pending"  # published, not signing yet
    CURRENT = "current"  # signs new tokens
    RETIRED = "retired"  # verifies tokens it signed until they have all expired
    EXPIRED = "expired"  # nothing it signed can still be valid: no longer verifies, removed at the next prune


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The public half and the schedule of a key; the private half never leaves its adapter unsealed."""

    kid: str
    public_key: bytes  # the raw 32-byte Ed25519 public key
    created_at: datetime
    activates_at: datetime  # signs from here on, until a newer key activates
    retired_at: datetime | None = None  # when a newer key took (or will take) over the signing
    algorithm: str = ALGORITHM

    def verifies_at(self, now: datetime, grace: timedelta) -> bool:
        return self.retired_at is None or now < self.retired_at + grace

    def verifies_until(self, grace: timedelta) -> datetime | None:
        return None if self.retired_at is None else self.retired_at + grace


def signer_at(keys: Iterable[SigningKey], now: datetime) -> SigningKey | None:
    """The key that signs at ``now``: the latest to have activated, a key not yet retired before one that is."""
    active = [key for key in keys if key.activates_at <= now]
    return max(
        active,
        key=lambda key: (key.retired_at is None or key.retired_at > now, key.activates_at, key.created_at),
        default=None,
    )


def state_at(key: SigningKey, keys: Iterable[SigningKey], now: datetime, grace: timedelta) -> KeyState:
    if not key.verifies_at(now, grace):
        return KeyState.EXPIRED
    if key.activates_at > now:
        return KeyState.PENDING
    signer = signer_at(keys, now)
    return KeyState.CURRENT if signer is not None and signer.kid == key.kid else KeyState.RETIRED
