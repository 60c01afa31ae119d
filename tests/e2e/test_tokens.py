"""Access-token attacks, refresh rotation, reuse detection, concurrency, sessions and sign-out."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.bootstrap.settings import Settings
from tests.support.api import Client, assert_error, bearer, login, signed_in

ME = "/api/v1/users/me"


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _forge(settings: Settings, claims: dict[str, Any], **overrides: Any) -> str:
    payload = {**claims, **overrides}
    headers = overrides.pop("_headers", {"typ": "at+jwt"})
    payload.pop("_headers", None)
    return jwt.encode(payload, settings.jwt_secret, algorithm="HS256", headers=headers)


def _attacks(settings: Settings, token: str) -> dict[str, str]:
    claims = _claims(token)
    now = datetime.now(UTC)
    header, payload, signature = token.split(".")
    without_jti = {k: v for k, v in claims.items() if k != "jti"}
    return {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{payload}.",
        "alg none unsigned": f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{payload}",
        "other algorithm": jwt.encode(
            claims, settings.jwt_secret + "x" * 32, algorithm="HS512", headers={"typ": "at+jwt"}
        ),
        "wrong key": jwt.encode(claims, "k" * 48, algorithm="HS256", headers={"typ": "at+jwt"}),
        "wrong audience": _forge(settings, claims, aud="someone-else"),
        "wrong issuer": _forge(settings, claims, iss="evil"),
        "wrong typ claim": _forge(settings, claims, typ="refresh"),
        "wrong typ header": _forge(settings, claims, _headers={"typ": "JWT"}),
        "expired": _forge(settings, claims, exp=int((now - timedelta(seconds=5)).timestamp())),
        "not yet valid": _forge(settings, claims, nbf=int((now + timedelta(minutes=5)).timestamp())),
        "missing jti": jwt.encode(without_jti, settings.jwt_secret, algorithm="HS256", headers={"typ": "at+jwt"}),
        "tampered payload": f"{header}.{_b64({**claims, 'role': 'admin'})}.{signature}",
        "tampered signature": f"{header}.{payload}.{signature[:-2]}AA",
        "garbage": "not.a.jwt",
        "random": "x" * 40,
    }


async def test_the_jwt_attack_list_is_refused(client: Client, settings: Settings) -> None:
    account = await signed_in(client, "ann@example.org")
    assert (await client.get(ME, headers=account.headers)).status_code == 200
    for name, forged in _attacks(settings, account.access_token).items():
        response = await client.get(ME, headers=bearer(forged))
        assert response.status_code == 401, name
        assert_error(response, 401, "INVALID_TOKEN")


async def test_a_refresh_token_is_not_an_access_token(client: Client) -> None:
    account = await signed_in(client, "ann@example.org")
    assert_error(await client.get(ME, headers=bearer(account.refresh_token)), 401, "INVALID_TOKEN")


@pytest.mark.parametrize("header", [None, "Basic YTpi", "Bearer", "Bearer   ", "Token abc"])
async def test_missing_or_malformed_authorization(client: Client, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = await client.get(ME, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] in ("UNAUTHENTICATED", "INVALID_TOKEN")


async def test_access_token_claims(client: Client, settings: Settings) -> None:
    account = await signed_in(client, "ann@example.org")
    claims = _claims(account.access_token)
    assert set(claims) >= {"sub", "exp", "iat", "nbf", "iss", "aud", "jti", "typ", "role", "sid"}
    assert claims["typ"] == "access"
    assert claims["sub"] == account.id
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert jwt.get_unverified_header(account.access_token) == {"alg": "HS256", "typ": "at+jwt"}


async def _refresh(client: Client, token: str) -> Any:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": token})


async def test_refresh_rotates_and_reuse_revokes_the_family(client: Client) -> None:
    account = await signed_in(client, "ann@example.org")
    first = await _refresh(client, account.refresh_token)
    assert first.status_code == 200
    rotated = first.json()["data"]
    assert rotated["refresh_token"] != account.refresh_token
    assert (await client.get(ME, headers=bearer(rotated["access_token"]))).status_code == 200

    assert_error(await _refresh(client, account.refresh_token), 401, "TOKEN_REUSED")
    # the whole family is gone: the newest refresh token and the live access tokens too
    assert_error(await _refresh(client, rotated["refresh_token"]), 401, "INVALID_TOKEN")
    assert_error(await client.get(ME, headers=bearer(rotated["access_token"])), 401, "INVALID_TOKEN")
    assert_error(await client.get(ME, headers=account.headers), 401, "INVALID_TOKEN")


async def test_concurrent_refreshes_with_one_token_have_one_winner(client: Client) -> None:
    account = await signed_in(client, "ann@example.org")
    responses = await asyncio.gather(*(_refresh(client, account.refresh_token) for _ in range(2)))
    assert sorted(r.status_code for r in responses) == [200, 401]


async def test_unknown_and_expired_refresh_tokens(client: Client, engine: AsyncEngine) -> None:
    assert_error(await _refresh(client, "never-issued-token"), 401, "INVALID_TOKEN")
    account = await signed_in(client, "ann@example.org")
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'"))
    assert_error(await _refresh(client, account.refresh_token), 401, "INVALID_TOKEN")


async def test_refresh_tokens_are_stored_hashed(client: Client, engine: AsyncEngine) -> None:
    account = await signed_in(client, "ann@example.org")
    async with engine.connect() as connection:
        stored = (await connection.execute(text("SELECT token_hash FROM refresh_tokens"))).scalars().all()
    assert len(stored) == 1
    assert account.refresh_token not in stored[0]
    assert len(stored[0]) == 64


async def test_logout_ends_the_session(client: Client) -> None:
    account = await signed_in(client, "ann@example.org")
    response = await client.post("/api/v1/auth/logout", json={"refresh_token": account.refresh_token})
    assert response.status_code == 204
    assert_error(await client.get(ME, headers=account.headers), 401, "INVALID_TOKEN")
    assert_error(await _refresh(client, account.refresh_token), 401, "INVALID_TOKEN")
    again = await client.post("/api/v1/auth/logout", json={"refresh_token": account.refresh_token})
    assert again.status_code == 204


async def test_sessions_list_revoke_and_logout_all(client: Client) -> None:
    account = await signed_in(client, "ann@example.org")
    other = (await login(client, "ann@example.org", **{"User-Agent": "phone/1.0"})).json()["data"]

    listed = await client.get("/api/v1/auth/sessions", headers=account.headers)
    assert listed.status_code == 200
    sessions = listed.json()["data"]
    assert len(sessions) == 2
    current = [s for s in sessions if s["current"]]
    assert len(current) == 1
    phone = next(s for s in sessions if not s["current"])
    assert phone["user_agent"] == "phone/1.0"

    revoked = await client.delete(f"/api/v1/auth/sessions/{phone['id']}", headers=account.headers)
    assert revoked.status_code == 204
    assert_error(await client.get(ME, headers=bearer(other["access_token"])), 401, "INVALID_TOKEN")
    assert_error(await client.delete(f"/api/v1/auth/sessions/{phone['id']}", headers=account.headers), 404, "NOT_FOUND")

    third = (await login(client, "ann@example.org")).json()["data"]
    response = await client.post("/api/v1/auth/logout-all", headers=account.headers)
    assert response.status_code == 204
    for token in (account.access_token, third["access_token"]):
        assert_error(await client.get(ME, headers=bearer(token)), 401, "INVALID_TOKEN")
