"""The test side of the signing keys: the key a running app signs with, read the way any process reads it."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.security.key_ring import KeyRing
from entrypoints.bootstrap.operator_container import build_operator_container
from entrypoints.bootstrap.settings import Settings


async def current_signer(settings: Settings) -> tuple[str, Ed25519PrivateKey]:
    """The kid and private key signing now (a ring of its own: the app's runs on the test client's loop)."""
    container = build_operator_container(settings)
    try:
        ring = await container.get(KeyRing)
        return ring.signer(datetime.now(UTC))
    finally:
        await container.close()
