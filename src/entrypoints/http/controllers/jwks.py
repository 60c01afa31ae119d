"""``GET /.well-known/jwks.json``: the public keys that verify Lore's access tokens (RFC 7517, RFC 8037).

A bare JWK Set, not the API's data envelope: JWT libraries read this shape as it is.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from entrypoints.bootstrap.settings import Settings
from entrypoints.bootstrap.signing_keys import published_jwks
from entrypoints.http.errors import error_responses
from entrypoints.http.schemas import Schema


class Jwk(Schema):
    kty: str
    crv: str
    x: str
    kid: str
    use: str
    alg: str


class JwkSet(Schema):
    keys: list[Jwk]


class JwksController(Controller):
    path = "/.well-known"
    tags = ["auth"]  # noqa: RUF012 - litestar's declared type

    @get(
        "/jwks.json",
        summary="Public keys that verify access tokens (current, next and retired ones still verifying)",
        description="Pick the key by the token's `kid` header; refetch on a `kid` you do not know.",
        responses=error_responses(),
    )
    async def jwks(self, request: Request[Any, Any, Any]) -> Response[JwkSet]:
        settings: Settings = request.app.state.settings
        keys = await published_jwks(request.state.dishka_container)
        body = JwkSet(keys=[Jwk(**jwk) for jwk in keys["keys"]])
        # a new key is published three refresh intervals before it signs: a cache of one interval keeps up
        cache = f"public, max-age={settings.signing_keys_refresh_seconds}"
        return Response(body, headers={"Cache-Control": cache})
