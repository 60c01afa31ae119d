"""Access JWTs per RFC 8725: one pinned algorithm, every claim required, explicit type."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import jwt

from application.identity.ports import AccessClaims, AccessToken
from domain.identity.errors import InvalidTokenError
from domain.identity.roles import Role

ALGORITHM = "HS256"
TOKEN_TYPE = "access"  # noqa: S105 - a claim value, not a secret
HEADER_TYPE = "at+jwt"  # RFC 9068: keeps an access token from passing as any other JWT
REQUIRED_CLAIMS = ["sub", "sid", "exp", "iat", "nbf", "iss", "aud", "jti", "typ", "role"]
# verified tokens kept per process; a client reuses its token for every request of its 15 minutes
VERIFIED_CACHE_SIZE = 10_000


class JwtAccessTokenCodec:
    def __init__(
        self,
        secret: str,
        *,
        issuer: str = "lore",
        audience: str = "lore-api",
        ttl: timedelta = timedelta(minutes=15),
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(secret) < 32:
            raise ValueError("the JWT secret must be at least 32 characters")
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl
        self._clock = clock
        # token -> (claims, exp): a token's signature and claims never change, only whether it has expired.
        # Revocation is not decided here (Authenticate reads the session every time), so caching is safe.
        self._verified: dict[str, tuple[AccessClaims, float]] = {}

    def issue(
        self, user_id: uuid.UUID, role: Role, session_id: uuid.UUID, now: datetime, *, amr: Sequence[str] = ()
    ) -> AccessToken:
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
        token = jwt.encode(claims, self._secret, algorithm=ALGORITHM, headers={"typ": HEADER_TYPE})
        return AccessToken(token=token, expires_in=int(self._ttl.total_seconds()))

    def decode(self, token: str) -> AccessClaims:
        known = self._verified.get(token)
        if known is not None:
            claims, expires_at = known
            if self._clock() < expires_at:
                return claims
            del self._verified[token]
            raise InvalidTokenError()  # as pyjwt's own expiry check answers
        claims, expires_at = self._verify(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]  # the oldest entry
        self._verified[token] = (claims, expires_at)
        return claims

    def _verify(self, token: str) -> tuple[AccessClaims, float]:
        try:
            # one parse gives the verified header and claims (get_unverified_header would parse it again)
            decoded = jwt.decode_complete(
                token,
                self._secret,
                algorithms=[ALGORITHM],  # pinned: "none" and any other algorithm are refused
                audience=self._audience,
                issuer=self._issuer,
                options={"require": REQUIRED_CLAIMS, "verify_signature": True},
            )
            claims = decoded["payload"]
            if decoded["header"].get("typ") != HEADER_TYPE or claims["typ"] != TOKEN_TYPE:
                raise InvalidTokenError("Not an access token.")
            verified = AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                session_id=uuid.UUID(claims["sid"]),
                role=Role(claims["role"]),
                token_id=str(claims["jti"]),
            )
            return verified, float(claims["exp"])
        except InvalidTokenError:
            raise
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
            raise InvalidTokenError() from exc
