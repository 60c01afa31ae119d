"""Secrets sealed at rest: AES-256-GCM under a key derived (HKDF-SHA256) from configured key material.

The one place that does this for Lore: webhook signing secrets, MFA TOTP secrets and access-token signing
keys each use a box of their own ``purpose`` (the HKDF label), so one key material yields unrelated keys and
a value sealed for one purpose never opens for another. A sealed value is ``v1:`` and the URL-safe base64 of
a random 12-byte nonce followed by the ciphertext and its tag; an optional ``context`` (associated data, e.g.
the owning row's id) binds it to where it is stored.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"
_NONCE_BYTES = 12
_TAG_BYTES = 16


class SealedFormatError(ValueError):
    """Not a value this box seals: another version, or not a sealed value at all."""


class SealedKeyError(ValueError):
    """A sealed value that does not open: another key material, purpose or context sealed it."""


def derive(key_material: str, label: bytes) -> bytes:
    """A 32-byte key for ``label`` (HKDF-SHA256, no salt: the key material is already secret and random)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(key_material.encode())


class SecretBox:
    def __init__(self, key_material: str, purpose: bytes) -> None:
        self._aead = AESGCM(derive(key_material, purpose))

    def seal(self, plaintext: bytes | str, *, context: str = "") -> str:
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, data, context.encode())
        return f"{VERSION}:{base64.urlsafe_b64encode(sealed).decode()}"

    def open_bytes(self, sealed: str, *, context: str = "") -> bytes:
        """Raises SealedFormatError or SealedKeyError (both ValueError)."""
        version, _, body = sealed.partition(":")
        if version != VERSION:
            raise SealedFormatError(f"unknown sealed format {version[:8]!r}")
        try:
            raw = base64.urlsafe_b64decode(body)
        except ValueError as exc:  # binascii.Error, or characters outside ASCII
            raise SealedFormatError("a sealed value that is not base64") from exc
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise SealedFormatError("a sealed value too short to hold its nonce and tag")
        try:
            return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise SealedKeyError("the sealed value does not open with this key and context") from None

    def open(self, sealed: str, *, context: str = "") -> str:
        return self.open_bytes(sealed, context=context).decode()

    def try_open(self, sealed: str, *, context: str = "") -> str | None:
        """None when the value was sealed under another key (or is not a sealed value at all)."""
        try:
            return self.open(sealed, context=context)
        except ValueError:
            return None
