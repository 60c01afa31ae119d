"""Ed25519 key pairs for access tokens: their RFC 7638 ``kid``, their JWK, and the sealing of the private half.

A private key is stored sealed (secret_box: AES-256-GCM under a key derived from ``JWT_SECRET``), the key id
bound as associated data so a sealed key copied onto another row does not open. Public keys are
stored in the clear: any process can verify, only one holding the secret can sign.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from adapters.security.secret_box import SealedFormatError, SealedKeyError, SecretBox
from domain.identity.signing_keys import ALGORITHM, SigningKey


class SigningKeyUnavailableError(Exception):
    """A stored private key cannot be opened: JWT_SECRET is not the one it was sealed with."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(key: SigningKey) -> dict[str, str]:
    """The key as a JWK for ``/.well-known/jwks.json`` (RFC 8037)."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64url(key.public_key),
        "kid": key.kid,
        "use": "sig",
        "alg": ALGORITHM,
    }


def thumbprint(public_key: bytes) -> str:
    """RFC 7638: SHA-256 of the required members in lexicographic order, without whitespace."""
    members = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(public_key)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return _b64url(hashlib.sha256(canonical).digest())


class KeySealer:
    def __init__(self, secret: str) -> None:
        if len(secret) < 32:
            raise ValueError("the JWT secret must be at least 32 characters")
        self._box = SecretBox(secret, purpose=b"lore access-token signing keys v1")

    def seal(self, kid: str, private_key: Ed25519PrivateKey) -> bytes:
        raw = private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return self._box.seal(raw, context=kid).encode()  # stored as bytes (a LargeBinary column)

    def open(self, kid: str, sealed: bytes) -> Ed25519PrivateKey:
        try:
            raw = self._box.open_bytes(sealed.decode("ascii"), context=kid)
        except (UnicodeDecodeError, SealedFormatError):
            raise SigningKeyUnavailableError(f"signing key {kid} is sealed in an unknown format") from None
        except SealedKeyError:
            raise SigningKeyUnavailableError(
                f"JWT_SECRET does not open signing key {kid}: it was sealed under another secret "
                "(restore that JWT_SECRET, or run `lore keys rotate` with the new one)"
            ) from None
        return Ed25519PrivateKey.from_private_bytes(raw)


class Ed25519KeyGenerator:
    def __init__(self, sealer: KeySealer) -> None:
        self._sealer = sealer

    def generate(self, created_at: datetime, activates_at: datetime) -> tuple[SigningKey, bytes]:
        private = Ed25519PrivateKey.generate()
        public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        kid = thumbprint(public)
        key = SigningKey(kid=kid, public_key=public, created_at=created_at, activates_at=activates_at)
        return key, self._sealer.seal(kid, private)


def public_key_of(key: SigningKey) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(key.public_key)
