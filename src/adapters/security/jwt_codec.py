"""Access JWTs per RFC 8725: EdDSA only, the key picked by ``kid``, every claim required, explicit type."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import jwt

from adapters.security.key_ring import KeyRing
from application.identity.ports import AccessClaims, AccessToken
from domain.identity.errors import InvalidTokenError, TokenExpiredError
from domain.identity.roles import Role
from domain.identity.signing_keys import ALGORITHM

TOKEN_TYPE = "access"  # noqa: S105 - a claim value, not a secret
HEADER_TYPE = "at+jwt"  # RFC 9068: keeps an access token from passing as any other JWT
REQUIRED_CLAIMS = ["sub", "sid", "exp", "iat", "nbf", "iss", "aud", "jti", "typ", "role"]
# verified tokens kept per process; a client reuses its token for every request of its 15 minutes
VERIFIED_CACHE_SIZE = 10_000


class JwtAccessTokenCodec:
    def __init__(
        self,
        keys: KeyRing,
        *,
        issuer: str = "lore",
        audience: str = "lore-api",
        ttl: timedelta = timedelta(minutes=15),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl
        self._clock = clock
        # token -> (claims, exp, kid): a token's signature and claims never change, only whether it has expired
        # and whether its key still verifies. Revocation is not decided here (Authenticate reads the session
        # every time), so caching is safe.
        self._verified: dict[str, tuple[AccessClaims, float, str]] = {}

    def issue(
        self, user_id: uuid.UUID, role: Role, session_id: uuid.UUID, now: datetime, *, amr: Sequence[str] = ()
    ) -> AccessToken:
        kid, private_key = self._keys.signer(now)
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "sid": str(session_id),
            "role": role.value,
            "typ": TOKEN_TYPE,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "nbf": now,
            "exp": now + self._ttl,
            "jti": uuid.uuid4().hex,
        }
        if amr:  # RFC 8176, informational: step-up decisions read the session, never this claim
            claims["amr"] = list(amr)
        token = jwt.encode(claims, private_key, algorithm=ALGORITHM, headers={"typ": HEADER_TYPE, "kid": kid})
        return AccessToken(token=token, expires_in=int(self._ttl.total_seconds()))

    def decode(self, token: str) -> AccessClaims:
        """Raises TokenExpiredError for a genuine token past its expiry, InvalidTokenError for anything else."""
        known = self._verified.get(token)
        now = self._clock()
        if known is not None:
            claims, expires_at, kid = known
            if self._keys.verifier(kid, now) is None:  # its key was removed since
                del self._verified[token]
                raise InvalidTokenError()
            if now < expires_at:
                return claims
            del self._verified[token]
            raise TokenExpiredError()
        claims, expires_at, kid = self._verify(token, now)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]  # the oldest entry
        self._verified[token] = (claims, expires_at, kid)
        return claims

    def _verify(self, token: str, now: float) -> tuple[AccessClaims, float, str]:
        try:
            header = jwt.get_unverified_header(token)
            kid = header.get("kid")
            if not isinstance(kid, str):
                raise InvalidTokenError("The token names no signing key.")
            key = self._keys.verifier(kid, now)
            if key is None:
                raise InvalidTokenError("The token's signing key is unknown or was removed.")
            if header.get("typ") != HEADER_TYPE:
                raise InvalidTokenError("Not an access token.")
            try:
                claims = self._decoded(token, key, verify_exp=True)
            except jwt.ExpiredSignatureError:
                # signed by one of our keys; only expired if everything else holds
                if self._decoded(token, key, verify_exp=False)["typ"] == TOKEN_TYPE:
                    raise TokenExpiredError() from None
                raise
            if claims["typ"] != TOKEN_TYPE:
                raise InvalidTokenError("Not an access token.")
            verified = AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                session_id=uuid.UUID(claims["sid"]),
                role=Role(claims["role"]),
                token_id=str(claims["jti"]),
            )
            return verified, float(claims["exp"]), kid
        except InvalidTokenError:
            raise
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
            raise InvalidTokenError() from exc

    def _decoded(self, token: str, key: Any, *, verify_exp: bool) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],  # pinned: "none", HS256 with the public key as secret, any other: refused
            audience=self._audience,
            issuer=self._issuer,
            options={"require": REQUIRED_CLAIMS, "verify_signature": True, "verify_exp": verify_exp},
        )
        return claims
