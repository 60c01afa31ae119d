"""The keys one process signs and verifies access tokens with: a copy of the store, refreshed on an interval.

Signing and verifying read only this copy (no I/O on a request). Every process reloads it every
``SIGNING_KEYS_REFRESH_SECONDS``; a rotated-in key is published long enough before it signs
(ManageSigningKeys' activation delay) that every process has loaded it before its first token arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from adapters.outages import failed_dependency, unavailable
from adapters.security.signing_keys import KeySealer, SigningKeyUnavailableError, public_key_of
from application.identity.signing_keys import ManageSigningKeys, SigningKeyStore
from application.shared.ports import Clock
from domain.identity.signing_keys import SigningKey, signer_at
from domain.shared.errors import DependencyUnavailableError

logger = logging.getLogger("lore.keys")


@dataclass(frozen=True, slots=True)
class _Signer:
    key: SigningKey
    private_key: Ed25519PrivateKey


@dataclass(frozen=True, slots=True)
class _Loaded:
    keys: tuple[SigningKey, ...]  # the ones that still verify, oldest first
    verifiers: dict[str, tuple[Ed25519PublicKey, float]]  # kid -> (public key, verifies until, epoch seconds)
    signers: tuple[_Signer, ...]  # the keys whose private half opened


_EMPTY = _Loaded((), {}, ())


class KeyRing:
    def __init__(
        self, store: SigningKeyStore, manage: ManageSigningKeys, sealer: KeySealer, clock: Clock, grace: timedelta
    ) -> None:
        self._store = store
        self._manage = manage
        self._sealer = sealer
        self._clock = clock
        self._grace = grace
        self._loaded = _EMPTY
        self._opened: dict[str, Ed25519PrivateKey] = {}  # private keys are opened once per process

    async def refresh(self) -> None:
        """Reloads the keys; makes the first one on a fresh install. Raises SigningKeyUnavailableError (after
        taking in every key it could) when the key that signs now, or a pending one, does not open: a wrong
        JWT_SECRET. At start-up that stops the process; later the loop logs it and signing goes on with the
        newest key that opens."""
        keys = await self._store.list_keys()
        if not keys:
            await self._restock()
            keys = await self._store.list_keys()
        now = self._clock.now()
        live = tuple(key for key in keys if key.verifies_at(now, self._grace))
        current = signer_at(live, now)
        signers: list[_Signer] = []
        unopened: list[SigningKeyUnavailableError] = []
        for key in live:
            try:
                signers.append(_Signer(key, await self._private_key(key.kid)))
            except SigningKeyUnavailableError as exc:
                if key.activates_at > now or key is current:
                    unopened.append(exc)
        verifiers = {key.kid: (public_key_of(key), _epoch(key.verifies_until(self._grace))) for key in live}
        self._loaded = _Loaded(live, verifiers, tuple(signers))
        self._opened = {kid: private for kid, private in self._opened.items() if kid in verifiers}
        if unopened:
            raise unopened[0]

    async def _restock(self) -> None:
        """An empty table: a fresh install gets its first key; a process that was signing puts its key back
        (the table was emptied under it), so the tokens it issued keep verifying everywhere."""
        signing = self._signing(self._clock.now())
        if signing is not None:
            restored = replace(signing.key, retired_at=None)
            if await self._store.add_first(restored, self._sealer.seal(restored.kid, signing.private_key)):
                logger.warning("the signing keys were gone from the database: stored this process's key again")
        elif await self._manage.ensure():
            logger.info("no access-token signing key was stored: generated one")

    async def _private_key(self, kid: str) -> Ed25519PrivateKey:
        opened = self._opened.get(kid)
        if opened is None:
            sealed = await self._store.sealed_private_key(kid)
            if sealed is None:
                raise SigningKeyUnavailableError(f"signing key {kid} has no private key stored")
            opened = self._opened[kid] = self._sealer.open(kid, sealed)
        return opened

    async def load(self) -> None:
        """The first refresh: a store that is down is waited out by the loop (requests get 503 until then);
        a key that does not open (a wrong JWT_SECRET) stops the start-up."""
        try:
            await self.refresh()
        except Exception as exc:
            if (dependency := _outage(exc)) is None:
                raise
            logger.warning("signing keys not loaded yet: the %s is unavailable", dependency)

    @property
    def loaded(self) -> bool:
        return self._loaded is not _EMPTY

    def signer(self, now: datetime) -> tuple[str, Ed25519PrivateKey]:
        """The kid and private key that sign at ``now``."""
        self._require_loaded()
        signing = self._signing(now)
        if signing is None:
            raise SigningKeyUnavailableError("no signing key is loaded (none opened with this JWT_SECRET)")
        return signing.key.kid, signing.private_key

    def _signing(self, now: datetime) -> _Signer | None:
        chosen = signer_at((signer.key for signer in self._loaded.signers), now)
        return next((signer for signer in self._loaded.signers if chosen is not None and signer.key is chosen), None)

    def verifier(self, kid: str, now_epoch: float) -> Ed25519PublicKey | None:
        """The public key of ``kid`` while it may still verify; None for an unknown or expired kid."""
        self._require_loaded()
        found = self._loaded.verifiers.get(kid)
        if found is None or now_epoch >= found[1]:
            return None
        return found[0]

    def _require_loaded(self) -> None:
        if self._loaded is _EMPTY:  # the store was down at start-up: not "invalid", only not known yet
            raise unavailable("database")

    def published(self) -> list[SigningKey]:
        """The keys a verifier must know now: pending, current and retired ones still verifying."""
        now = self._clock.now()
        return [key for key in self._loaded.keys if key.verifies_at(now, self._grace)]

    async def run(self, interval_seconds: float, stopping: asyncio.Event) -> None:
        """Refreshes every interval until ``stopping`` is set; a failed round is logged and tried again."""
        while not stopping.is_set():
            wait = interval_seconds if self.loaded else min(interval_seconds, 1.0)  # catch up fast after an outage
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), wait)
            if stopping.is_set():
                return
            try:
                await self.refresh()
            except Exception as exc:  # nothing here may end the loop: the keys loaded still work
                if (dependency := _outage(exc)) is not None:  # one line, no traceback: the store is down
                    logger.warning("signing keys not refreshed: the %s is unavailable", dependency)
                else:
                    logger.exception("refreshing the signing keys failed")


_UNDEFINED_TABLE = "42P01"


def _outage(exc: Exception) -> str | None:
    if isinstance(exc, DependencyUnavailableError):
        return str(exc.details.get("dependency", "database"))
    if _not_migrated(exc):  # `lore serve` before `lore migrate`: waited out like an outage, 503 until then
        return "database (not migrated: run `lore migrate`)"
    return failed_dependency(exc)


def _not_migrated(exc: BaseException) -> bool:
    """The signing_keys table does not exist yet (SQLSTATE 42P01, undefined table), however it is wrapped."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return False
        if getattr(seen, "sqlstate", None) == _UNDEFINED_TABLE or getattr(seen, "pgcode", None) == _UNDEFINED_TABLE:
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def _epoch(moment: datetime | None) -> float:
    return math.inf if moment is None else moment.timestamp()
