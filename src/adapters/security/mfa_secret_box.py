"""MFA secrets at rest: TOTP secrets under AES-256-GCM, recovery codes as HMAC-SHA256 digests.

Both keys are derived (HKDF-SHA256, one label each) from one configured key, MFA_ENCRYPTION_KEY or else
JWT_SECRET, so a database dump without the deployment's settings reveals neither.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"
NONCE_BYTES = 12


def _derive(key_material: str, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"lore-mfa/" + label).derive(
        key_material.encode()
    )


class AesGcmMfaSecretBox:
    def __init__(self, key_material: str) -> None:
        if len(key_material) < 32:
            raise ValueError("the MFA key must be at least 32 characters")
        self._aead = AESGCM(_derive(key_material, b"totp-secret"))
        self._code_key = _derive(key_material, b"recovery-code")

    def seal(self, secret: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode(), context.encode())
        return f"{VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str, *, context: str) -> str:
        version, _, body = sealed.partition(":")
        if version != VERSION:
            raise ValueError(f"unknown MFA secret format {version!r}")
        raw = base64.urlsafe_b64decode(body)
        try:
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
        except InvalidTag as exc:  # another key (MFA_ENCRYPTION_KEY changed) or another user's row
            raise ValueError("the MFA secret cannot be decrypted with the configured key") from exc

    def code_digest(self, code: str) -> str:
        return hmac.new(self._code_key, code.encode(), hashlib.sha256).hexdigest()
