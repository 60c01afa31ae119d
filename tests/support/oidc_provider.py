"""A real OpenID Connect provider for tests, served over HTTP on 127.0.0.1 (tests.support.servers.serve).

Discovery, an authorization endpoint that signs the next user in at once and redirects back with a code, a
token endpoint that checks the client secret, the redirect URI and the PKCE verifier, a JWKS, and userinfo.
ID tokens are ES256, signed with a key made per provider. ``misbehave`` makes the next ID token wrong in
one way (another nonce, audience or issuer, expired, signed by a key not in the JWKS).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from tests.support.servers import read_body, serve

CLIENT_ID = "lore-test-client"
CLIENT_SECRET = "lore-test-secret"


@dataclass
class ProviderUser:
    subject: str
    email: str
    email_verified: bool = True
    name: str | None = "Test Person"


@dataclass
class _Grant:
    user: ProviderUser
    client_id: str
    redirect_uri: str
    nonce: str
    code_challenge: str
    code_challenge_method: str


@dataclass
class OidcProviderDouble:
    issuer: str = ""
    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", parameters={"kid": "k1"}))
    next_user: ProviderUser = field(default_factory=lambda: ProviderUser("sub-1", "person@example.org"))
    # nonce, aud, azp, iss, expired, foreign_key, no_id_token, error, email_in_userinfo
    misbehave: set[str] = field(default_factory=set)
    grants: dict[str, _Grant] = field(default_factory=dict)
    tokens: dict[str, ProviderUser] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def _authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.authorize_requests.append(query)
        redirect_uri = query["redirect_uri"]
        if "error" in self.misbehave:
            params = {"error": "access_denied", "error_description": "The user said no", "state": query["state"]}
            return 302, {"location": f"{redirect_uri}?{urlencode(params)}"}, b""
        code = secrets.token_urlsafe(16)
        self.grants[code] = _Grant(
            self.next_user,
            query["client_id"],
            redirect_uri,
            query.get("nonce", ""),
            query.get("code_challenge", ""),
            query.get("code_challenge_method", ""),
        )
        params = {"code": code, "state": query["state"]}
        return 302, {"location": f"{redirect_uri}?{urlencode(params)}"}, b""

    def _refuse(self, error: str) -> tuple[int, dict[str, str], bytes]:
        return 400, {"content-type": "application/json"}, json.dumps({"error": error}).encode()

    def _token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, str], bytes]:
        self.token_requests.append(form)
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != expected:
            return 401, {"content-type": "application/json"}, json.dumps({"error": "invalid_client"}).encode()
        grant = self.grants.pop(form.get("code", ""), None)  # a code works once
        if grant is None or form.get("grant_type") != "authorization_code":
            return self._refuse("invalid_grant")
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._refuse("invalid_grant")
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant.code_challenge_method != "S256" or challenge != grant.code_challenge:
            return self._refuse("invalid_grant")
        access_token = secrets.token_urlsafe(16)
        self.tokens[access_token] = grant.user
        body: dict[str, Any] = {"access_token": access_token, "token_type": "Bearer", "expires_in": 300}
        if "no_id_token" not in self.misbehave:
            body["id_token"] = self._id_token(grant)
        return 200, {"content-type": "application/json", "cache-control": "no-store"}, json.dumps(body).encode()

    def _id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        user = grant.user
        claims: dict[str, Any] = {
            "iss": "https://elsewhere.example.org" if "iss" in self.misbehave else self.issuer,
            "sub": user.subject,
            "aud": "someone-else" if "aud" in self.misbehave else grant.client_id,
            **({"aud": [grant.client_id, "someone-else"]} if "azp" in self.misbehave else {}),
            "iat": now - 3600 if "expired" in self.misbehave else now,
            "exp": now - 600 if "expired" in self.misbehave else now + 300,
            "nonce": "not-the-nonce" if "nonce" in self.misbehave else grant.nonce,
        }
        if "email_in_userinfo" not in self.misbehave:
            claims |= {"email": user.email, "email_verified": user.email_verified, "name": user.name}
        key = self.key
        if "foreign_key" in self.misbehave:
            key = ECKey.generate_key("P-256", parameters={"kid": "k1"})
        return jwt.encode({"alg": "ES256", "kid": "k1"}, claims, key)

    def _userinfo(self, authorization: str) -> tuple[int, dict[str, str], bytes]:
        user = self.tokens.get(authorization.removeprefix("Bearer "))
        if user is None:
            return 401, {}, b""
        body = {"sub": user.subject, "email": user.email, "email_verified": user.email_verified, "name": user.name}
        return 200, {"content-type": "application/json"}, json.dumps(body).encode()

    def _route(
        self, method: str, path: str, query: dict[str, str], form: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        if method == "GET" and path == "/.well-known/openid-configuration":
            return 200, {"content-type": "application/json"}, json.dumps(self.discovery()).encode()
        if method == "GET" and path == "/jwks":
            jwks = KeySet([self.key]).as_dict(private=False)
            return 200, {"content-type": "application/json"}, json.dumps(jwks).encode()
        if method == "GET" and path == "/authorize":
            return self._authorize(query)
        if method == "POST" and path == "/token":
            return self._token(form, headers.get("authorization", ""))
        if method == "GET" and path == "/userinfo":
            return self._userinfo(headers.get("authorization", ""))
        return 404, {}, b""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = await read_body(receive)
        query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        status, out_headers, out = self._route(scope["method"], scope["path"], query, form, headers)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in out_headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": out})


@contextmanager
def oidc_provider() -> Iterator[OidcProviderDouble]:
    double = OidcProviderDouble()
    with serve(double) as url:
        double.issuer = url
        yield double
