from __future__ import annotations

import hashlib
import secrets


class RandomSecretTokens:
    """256-bit URL-safe secrets; stored as SHA-256, which suffices for high-entropy values (ASVS 6.4)."""

    def generate(self) -> str:
        return secrets.token_urlsafe(32)

    def digest(self, secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()
