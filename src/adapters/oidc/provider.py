"""An OpenID Connect provider reached with authlib: discovery, authorization code + PKCE, ID-token validation.

authlib builds the authorization URL (S256 challenge) and talks to the token endpoint (client_secret_basic,
or none for a public client); joserfc (authlib's JOSE library) checks the ID token's signature against the
provider's JWKS and its claims. Discovery is read once per process; the JWKS again when a token names a key
it does not hold (the provider rotated its keys).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from application.identity.ports import AuthorizationRequest, OidcProviderInfo, ProviderClaims
from domain.identity.errors import OidcCodeRefusedError, OidcIdTokenError
from domain.shared.errors import DependencyUnavailableError

logger = logging.getLogger(__name__)

# asymmetric algorithms only: "none" and HS* (keyed with the client secret) are refused
_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
CLOCK_SKEW_SECONDS = 60


@dataclass(frozen=True, slots=True)
class OidcProviderConfig:
    name: str
    display_name: str
    issuer: str
    client_id: str
    client_secret: str | None
    redirect_uri: str
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    timeout_seconds: float = 10.0


def _unavailable(name: str, exc: BaseException) -> DependencyUnavailableError:
    logger.warning("identity provider unreachable", extra={"provider": name, "error": type(exc).__name__})
    return DependencyUnavailableError(
        "The identity provider cannot be reached. Try again later.",
        code="OIDC_PROVIDER_UNAVAILABLE",
        details={"provider": name},
    )


class AuthlibOidcProvider:
    def __init__(
        self,
        config: OidcProviderConfig,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._now = now
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    @property
    def info(self) -> OidcProviderInfo:
        return OidcProviderInfo(self._config.name, self._config.display_name, self._config.issuer)

    def _client(self) -> AsyncOAuth2Client:
        config = self._config
        return AsyncOAuth2Client(
            client_id=config.client_id,
            client_secret=config.client_secret,
            token_endpoint_auth_method="client_secret_basic" if config.client_secret else "none",
            scope=" ".join(config.scopes),
            redirect_uri=config.redirect_uri,
            code_challenge_method="S256",
            timeout=config.timeout_seconds,
        )

    async def _get_json(self, url: str, **kwargs: Any) -> dict[str, Any]:
        async with self._client() as client:
            try:
                response = await client.request("GET", url, withhold_token=True, **kwargs)
                response.raise_for_status()
                body = response.json()
            except (httpx2.HTTPError, ValueError) as exc:
                raise _unavailable(self._config.name, exc) from exc
        if not isinstance(body, dict):
            raise _unavailable(self._config.name, TypeError("not a JSON object"))
        return body

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            issuer = self._config.issuer
            document = await self._get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
            required = ("authorization_endpoint", "token_endpoint", "jwks_uri")
            # OpenID Connect Discovery 4.3: the document must name exactly the issuer it was read from
            if document.get("issuer") != issuer or not all(isinstance(document.get(k), str) for k in required):
                raise _unavailable(self._config.name, ValueError("discovery document does not match the issuer"))
            self._metadata = document
        return self._metadata

    async def _key_set(self, *, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            jwks = await self._get_json((await self.metadata())["jwks_uri"])
            try:
                self._keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError, KeyError) as exc:
                raise _unavailable(self._config.name, exc) from exc
        return self._keys

    async def authorization_url(self, request: AuthorizationRequest) -> str:
        endpoint = (await self.metadata())["authorization_endpoint"]
        async with self._client() as client:
            url, _state = client.create_authorization_url(
                endpoint, state=request.state, code_verifier=request.code_verifier, nonce=request.nonce
            )
        return str(url)

    async def claims(self, code: str, request: AuthorizationRequest) -> ProviderClaims:
        metadata = await self.metadata()
        async with self._client() as client:
            try:
                token = await client.fetch_token(
                    metadata["token_endpoint"], code=code, code_verifier=request.code_verifier
                )
            except OAuthError as exc:
                raise OidcCodeRefusedError(details={"error": str(exc.error)[:100]}) from exc
            except (httpx2.HTTPError, ValueError) as exc:
                raise _unavailable(self._config.name, exc) from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcIdTokenError(details={"reason": "missing"})
        claims = await self._validated(id_token, request.nonce, metadata)
        email, verified, name = claims.get("email"), claims.get("email_verified"), claims.get("name")
        userinfo_url = metadata.get("userinfo_endpoint")
        if not isinstance(email, str) and isinstance(userinfo_url, str) and token.get("access_token"):
            info = await self._get_json(userinfo_url, headers={"Authorization": f"Bearer {token['access_token']}"})
            if info.get("sub") == claims["sub"]:  # OpenID Connect Core 5.3.2: else the answer is not this user's
                email, verified, name = info.get("email"), info.get("email_verified"), info.get("name") or name
        return ProviderClaims(
            subject=str(claims["sub"]),
            email=email if isinstance(email, str) else None,
            email_verified=verified is True or verified == "true",  # some providers send the string
            name=name if isinstance(name, str) else None,
        )

    async def _validated(self, id_token: str, nonce: str, metadata: dict[str, Any]) -> dict[str, Any]:
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [alg for alg in _ALGORITHMS if alg in offered]
        try:
            try:
                decoded = jwt.decode(id_token, await self._key_set(), algorithms=algorithms)
            except (InvalidKeyIdError, BadSignatureError):
                decoded = jwt.decode(id_token, await self._key_set(refresh=True), algorithms=algorithms)
        except (JoseError, ValueError, TypeError) as exc:
            raise OidcIdTokenError(details={"reason": "signature"}) from exc
        claims = decoded.claims
        registry = jwt.JWTClaimsRegistry(
            now=int(self._now()),
            leeway=CLOCK_SKEW_SECONDS,
            iss={"essential": True, "value": self._config.issuer},
            sub={"essential": True},
            aud={"essential": True, "value": self._config.client_id},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError as exc:
            raise OidcIdTokenError("The identity provider's ID token has expired.", details={"reason": "exp"}) from exc
        except ClaimError as exc:
            reason = exc.claim if exc.claim in ("iss", "sub", "aud", "exp", "iat", "nonce") else "claims"
            raise OidcIdTokenError(details={"reason": reason}) from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        # OpenID Connect Core 3.1.3.7: with several audiences, the authorized party must be this client
        if len(audiences) > 1 and claims.get("azp") != self._config.client_id:
            raise OidcIdTokenError(details={"reason": "azp"})
        return claims


class ConfiguredOidcProviders:
    """The providers OIDC_PROVIDERS names, in its order."""

    def __init__(self, providers: list[AuthlibOidcProvider]) -> None:
        self._providers = {provider.info.name: provider for provider in providers}

    def list(self) -> list[OidcProviderInfo]:
        return [provider.info for provider in self._providers.values()]

    def get(self, name: str) -> AuthlibOidcProvider | None:
        return self._providers.get(name)
