"""Seals secrets at rest with AES-256-GCM (webhook signing secrets: HMAC needs them raw, so no hash will do)."""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1."
_NONCE_BYTES = 12


class SecretBox:
    """A key derived (HKDF-SHA256) from the configured key material; each value gets a random nonce."""

    def __init__(self, key_material: str, purpose: bytes = b"lore webhook signing secrets") -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key_material.encode())
        self._aead = AESGCM(key)

    def seal(self, secret: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, secret.encode(), None)
        return _VERSION + base64.b64encode(sealed).decode()

    def open(self, sealed: str) -> str:
        raw = base64.b64decode(sealed.removeprefix(_VERSION))
        return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None).decode()

    def try_open(self, sealed: str) -> str | None:
        """None when the value was sealed under another key (or is not a sealed value at all)."""
        try:
            return self.open(sealed)
        except (InvalidTag, ValueError):
            return None
