"""Access-token attacks, refresh rotation, reuse detection, concurrency, sessions and sign-out."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.bootstrap.settings import Settings
from tests.support.api import Client, assert_error, bearer, login, signed_in
from tests.support.signing import current_signer

ME = "/api/v1/users/me"


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _forge(signer: tuple[str, Ed25519PrivateKey], claims: dict[str, Any], **overrides: Any) -> str:
    kid, key = signer
    headers = overrides.pop("_headers", {"typ": "at+jwt", "kid": kid})
    return jwt.encode({**claims, **overrides}, key, algorithm="EdDSA", headers=headers)


def _attacks(signer: tuple[str, Ed25519PrivateKey], token: str) -> dict[str, str]:
    claims = _claims(token)
    kid, key = signer
    now = datetime.now(UTC)
    header, payload, signature = token.split(".")
    without_jti = {k: v for k, v in claims.items() if k != "jti"}
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    stranger = Ed25519PrivateKey.generate()
    return {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'at+jwt', 'kid': kid})}.{payload}.",
        "alg none unsigned": f"{_b64({'alg': 'none', 'typ': 'at+jwt', 'kid': kid})}.{payload}",
        # algorithm confusion: HMAC keyed with the public key (pyjwt refuses a PEM as an HMAC key, so by hand)
        "HS256 with the public key": _hs256(public_pem, claims, kid),
        "HS256 with the raw public key": _hs256(key.public_key().public_bytes_raw(), claims, kid),
        "wrong key, same kid": _forge((kid, stranger), claims),
        "unknown kid": _forge(("not-a-lore-key", stranger), claims),
        "no kid": _forge(signer, claims, _headers={"typ": "at+jwt"}),
        "wrong audience": _forge(signer, claims, aud="someone-else"),
        "wrong issuer": _forge(signer, claims, iss="evil"),
        "wrong typ claim": _forge(signer, claims, typ="refresh"),
        "wrong typ header": _forge(signer, claims, _headers={"typ": "JWT", "kid": kid}),
        "expired, wrong key": _forge((kid, stranger), claims, exp=int((now - timedelta(seconds=5)).timestamp())),
        "expired, wrong audience": _forge(signer, claims, aud="x", exp=int((now - timedelta(seconds=5)).timestamp())),
        "not yet valid": _forge(signer, claims, nbf=int((now + timedelta(minutes=5)).timestamp())),
        "missing jti": _forge(signer, without_jti),
        "tampered payload": f"{header}.{_b64({**claims, 'role': 'admin'})}.{signature}",
        "tampered signature": f"{header}.{payload}.{signature[:-2]}AA",
        "garbage": "not.a.jwt",
        "random": "x" * 40,
    }


def _hs256(secret: bytes, claims: dict[str, Any], kid: str) -> str:
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'at+jwt', 'kid': kid})}.{_b64(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


async def test_the_jwt_attack_list_is_refused(client: Client, settings: Settings) -> None:
    account = await signed_in(client, "ann@example.org")
    assert (await client.get(ME, headers=account.headers)).status_code == 200
    signer = await current_signer(settings)
    resigned = _forge(signer, {**_claims(account.access_token), "jti": "another"})  # the forger signs as Lore does
    assert (await client.get(ME, headers=bearer(resigned))).status_code == 200
    for name, forged in _attacks(signer, account.access_token).items():
        response = await client.get(ME, headers=bearer(forged))
        assert response.status_code == 401, name
        assert_error(response, 401, "INVALID_TOKEN")
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"', name


async def test_an_expired_access_token_says_so(client: Client, settings: Settings) -> None:
    account = await signed_in(client, "ann@example.org")
    signer = await current_signer(settings)
    past = datetime.now(UTC) - timedelta(minutes=20)
    expired = _forge(signer, _claims(account.access_token), iat=past, nbf=past, exp=past + timedelta(minutes=15))
    for _ in range(2):  # the second time from the verified-token memory: the same answer
        response = await client.get(ME, headers=bearer(expired))
        error = assert_error(response, 401, "TOKEN_EXPIRED")
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token", error_description="expired"'
        assert "refresh" in error["message"]
    # the client does what it says: refresh, and the new access token works
    refreshed = (await client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token})).json()
    assert (await client.get(ME, headers=bearer(refreshed["data"]["access_token"]))).status_code == 200


async def test_graphql_names_an_expired_token_too(client: Client, settings: Settings) -> None:
    account = await signed_in(client, "ann@example.org")
    past = datetime.now(UTC) - timedelta(minutes=20)
    claims = _claims(account.access_token)
    expired = _forge(await current_signer(settings), claims, iat=past, nbf=past, exp=past + timedelta(minutes=15))
    response = await client.post("/graphql", json={"query": "{ viewer { email } }"}, headers=bearer(expired))
    errors = response.json()["errors"]
    assert [error["extensions"]["code"] for error in errors] == ["TOKEN_EXPIRED"]


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
    header = jwt.get_unverified_header(account.access_token)
    assert header == {"alg": "EdDSA", "typ": "at+jwt", "kid": (await current_signer(settings))[0]}


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
