"""dishka wiring of the access-token signing keys: the store, rotation, and each process's key ring.

In both the full container (the API signs and verifies) and the lean operator one (`lore keys ...`).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from dishka import AsyncContainer, Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.identity.signing_keys import SqlSigningKeyStore
from adapters.security.key_ring import KeyRing
from adapters.security.signing_keys import Ed25519KeyGenerator, KeySealer, public_jwk
from application.identity.signing_keys import (
    ManageSigningKeys,
    SigningKeyGenerator,
    SigningKeyPolicy,
    SigningKeyStore,
)
from application.shared.ports import Clock
from entrypoints.bootstrap.settings import Settings

# how far apart the clocks of Lore and of the services verifying its tokens may be
VERIFIER_LEEWAY = timedelta(seconds=60)
# a rotated-in key signs after this many refresh intervals: every process has reloaded its ring by then, and
# a JWKS cache of one interval (the endpoint's max-age) has fetched it again
ACTIVATION_INTERVALS = 3


def signing_key_policy(settings: Settings) -> SigningKeyPolicy:
    return SigningKeyPolicy(
        grace=timedelta(seconds=settings.access_token_ttl_seconds) + VERIFIER_LEEWAY,
        activation_delay=timedelta(seconds=settings.signing_keys_refresh_seconds * ACTIVATION_INTERVALS),
    )


class SigningKeysProvider(Provider):
    @provide(scope=Scope.APP)
    def store(self, engine: AsyncEngine) -> SigningKeyStore:
        return SqlSigningKeyStore(engine)

    @provide(scope=Scope.APP)
    def sealer(self, settings: Settings) -> KeySealer:
        return KeySealer(settings.jwt_secret)

    @provide(scope=Scope.APP)
    def generator(self, sealer: KeySealer) -> SigningKeyGenerator:
        return Ed25519KeyGenerator(sealer)

    @provide(scope=Scope.APP)
    def manage(
        self, store: SigningKeyStore, generator: SigningKeyGenerator, clock: Clock, settings: Settings
    ) -> ManageSigningKeys:
        return ManageSigningKeys(store, generator, clock, signing_key_policy(settings))

    @provide(scope=Scope.APP)
    async def ring(
        self, store: SigningKeyStore, manage: ManageSigningKeys, sealer: KeySealer, clock: Clock, settings: Settings
    ) -> KeyRing:
        ring = KeyRing(store, manage, sealer, clock, signing_key_policy(settings).grace)
        await ring.load()  # before the first token is signed or verified (unless the store is down)
        return ring


class KeyRingRefresh:
    """The ring's refresh loop as a task owned by an app (started and stopped with it)."""

    def __init__(self, container: AsyncContainer, settings: Settings) -> None:
        self._container = container
        self._interval = settings.signing_keys_refresh_seconds
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Loads the ring (a wrong JWT_SECRET stops the start-up here, with the reason), then keeps it fresh."""
        ring = await self._container.get(KeyRing)
        self._task = asyncio.create_task(ring.run(self._interval, self._stopping), name="signing-keys-refresh")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None


async def published_jwks(container: AsyncContainer) -> dict[str, list[dict[str, str]]]:
    """The JWK Set of the keys a verifier must know now (RFC 7517), from the ring: no I/O."""
    ring = await container.get(KeyRing)
    return {"keys": [public_jwk(key) for key in ring.published()]}
