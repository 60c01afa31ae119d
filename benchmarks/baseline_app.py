"""The bare-stack baseline for the HTTP benchmark: Litestar + asyncpg + pyjwt + msgspec, nothing else.

It does the work of Lore's authenticated ``GET /api/v1/collections``: verify the access JWT (EdDSA, the
public key picked by ``kid`` from Lore's ``signing_keys`` table, as another service would from the JWKS),
load the session and the user (refusing ended sessions and inactive users), run the same count and page
SQL, and answer the same JSON. No DI, ORM, tracing or middleware: what the work costs on this stack.

Run by ``benchmarks.http`` as ``python -m benchmarks.baseline_app`` with DATABASE_URL and PORT.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import jwt
import msgspec
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from litestar import Litestar, Request, Response, get

KEYS_SQL = "SELECT kid, public_key FROM signing_keys"
SESSION_SQL = "SELECT user_id, expires_at, revoked_at FROM auth_sessions WHERE id = $1"
USER_SQL = "SELECT id, role, is_active FROM users WHERE id = $1"
VISIBLE = """
    SELECT c.id, c.name, c.description, c.created_at, c.updated_at, m.role,
           (SELECT count(d.id) FROM documents d WHERE d.collection_id = c.id) AS document_count
    FROM collections c
    LEFT OUTER JOIN collection_members m ON m.collection_id = c.id AND m.user_id = $1
    WHERE m.user_id = $1
"""
COUNT_SQL = f"SELECT count(*) FROM ({VISIBLE}) AS visible"  # noqa: S608 - constant SQL
PAGE_SQL = f"{VISIBLE} ORDER BY c.name ASC, c.id ASC LIMIT $2 OFFSET $3"


class CollectionOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    description: str
    role: str | None
    document_count: int
    created_at: datetime
    updated_at: datetime


class PageMeta(msgspec.Struct):
    total: int
    limit: int
    offset: int


class ListEnvelope(msgspec.Struct):
    data: list[CollectionOut]
    meta: PageMeta


_ENCODER = msgspec.json.Encoder()
_UNAUTHORIZED = b'{"error":{"code":"INVALID_TOKEN","message":"The access token is invalid."}}'


def _database_url() -> str:
    return os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(_database_url(), min_size=4, max_size=10)
    app.state.verifying_keys = {}
    try:
        yield
    finally:
        await app.state.pool.close()


async def _public_key(request: Request[Any, Any, Any], token: str) -> Ed25519PublicKey | None:
    """The key the token's ``kid`` names; the table is read again only for a kid not seen yet."""
    kid = jwt.get_unverified_header(token).get("kid")
    keys: dict[str, Ed25519PublicKey] = request.app.state.verifying_keys
    if kid not in keys:
        async with request.app.state.pool.acquire() as connection:
            rows = await connection.fetch(KEYS_SQL)
        keys.update({row["kid"]: Ed25519PublicKey.from_public_bytes(row["public_key"]) for row in rows})
    return keys.get(kid)


def _unauthorized() -> Response[bytes]:
    return Response(_UNAUTHORIZED, status_code=401, media_type="application/json")


@get("/api/v1/collections")
async def list_collections(request: Request[Any, Any, Any], limit: int = 20, offset: int = 0) -> Response[bytes]:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return _unauthorized()
    try:
        key = await _public_key(request, token)
        if key is None:
            return _unauthorized()
        claims = jwt.decode(
            token,
            key,
            algorithms=["EdDSA"],
            audience=os.environ.get("JWT_AUDIENCE", "lore-api"),
            issuer=os.environ.get("JWT_ISSUER", "lore"),
            options={"require": ["sub", "sid", "exp", "iat", "nbf", "iss", "aud", "jti", "typ", "role"]},
        )
        user_id, session_id = uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"])
    except (jwt.PyJWTError, ValueError, KeyError):
        return _unauthorized()
    now = datetime.now(UTC)
    async with request.app.state.pool.acquire() as connection:
        session = await connection.fetchrow(SESSION_SQL, session_id)
        if session is None or session["user_id"] != user_id or session["revoked_at"] or session["expires_at"] <= now:
            return _unauthorized()
        user = await connection.fetchrow(USER_SQL, user_id)
        if user is None or not user["is_active"]:
            return _unauthorized()
        total = await connection.fetchval(COUNT_SQL, user_id)
        rows = await connection.fetch(PAGE_SQL, user_id, limit, offset)
    body = ListEnvelope(
        data=[CollectionOut(**dict(row)) for row in rows], meta=PageMeta(total=total, limit=limit, offset=offset)
    )
    return Response(_ENCODER.encode(body), media_type="application/json")


@get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar(route_handlers=[list_collections, live], lifespan=[lifespan], logging_config=None, debug=False)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_config=None, access_log=False)
