"""MFA secrets at rest: TOTP secrets sealed (secret_box), recovery codes as HMAC-SHA256 digests.

Both keys are derived (one HKDF label each) from one configured key, MFA_ENCRYPTION_KEY or else JWT_SECRET,
so a database dump without the deployment's settings reveals neither.
"""

from __future__ import annotations

import hashlib
import hmac

from adapters.security.secret_box import SealedFormatError, SealedKeyError, SecretBox, derive


class AesGcmMfaSecretBox:
    def __init__(self, key_material: str) -> None:
        if len(key_material) < 32:
            raise ValueError("the MFA key must be at least 32 characters")
        self._box = SecretBox(key_material, purpose=b"lore-mfa/totp-secret")
        self._code_key = derive(key_material, b"lore-mfa/recovery-code")

    def seal(self, secret: str, *, context: str) -> str:
        return self._box.seal(secret, context=context)

    def open(self, sealed: str, *, context: str) -> str:
        try:
            return self._box.open(sealed, context=context)
        except SealedFormatError as exc:
            raise ValueError(f"unknown MFA secret format: {exc}") from exc
        except SealedKeyError as exc:  # another key (MFA_ENCRYPTION_KEY changed) or another user's row
            raise ValueError("the MFA secret cannot be decrypted with the configured key") from exc

    def code_digest(self, code: str) -> str:
        return hmac.new(self._code_key, code.encode(), hashlib.sha256).hexdigest()
