"""Signing-key rotation over HTTP: `lore keys rotate` breaks no live token, a removed key verifies nothing, and
every process (two apps on the same stores here) signs and verifies with the same keys.

The apps reload their keys every second (SIGNING_KEYS_REFRESH_SECONDS=1), so a rotated-in key signs after 3 s;
the passing of the access-token TTL is simulated by moving the old key's retirement back in the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import jwt
import msgspec
import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.bootstrap.settings import Settings
from entrypoints.cli.main import cli
from entrypoints.http.app import create_app
from tests.support.api import Client, assert_error, bearer, login, signed_in

ME = "/api/v1/users/me"
JWKS = "/.well-known/jwks.json"
EMAIL = "rotating@example.org"
T = TypeVar("T")


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, signing_keys_refresh_seconds=1)


@pytest.fixture
async def fast_client(fast_settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(fast_settings)) as client:
        yield client


@pytest.fixture
def keys_cli(lore: CliRunner) -> CliRunner:
    return CliRunner(env={**(lore.env or {}), "SIGNING_KEYS_REFRESH_SECONDS": "1"})


async def _keys(runner: CliRunner, *args: str) -> Result:
    result = await asyncio.to_thread(runner.invoke, cli, ["keys", *args])  # the command runs its own loop
    assert result.exit_code == 0, result.output
    return result


async def _eventually(probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = 30) -> T:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if (found := await probe()) is not None:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


async def _published(client: Client) -> list[str]:
    response = await client.get(JWKS)
    assert response.status_code == 200
    return [key["kid"] for key in response.json()["keys"]]


def _kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


async def _fresh_token(client: Client) -> str:
    response = await login(client, EMAIL)
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["access_token"])


async def test_jwks_publishes_the_public_key_that_verifies_tokens(client: Client) -> None:
    account = await signed_in(client, EMAIL)
    response = await client.get(JWKS)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=30"
    (key,) = response.json()["keys"]
    assert set(key) == {"kty", "crv", "x", "kid", "use", "alg"}
    assert (key["kty"], key["crv"], key["use"], key["alg"]) == ("OKP", "Ed25519", "sig", "EdDSA")
    assert key["kid"] == _kid(account.access_token)
    # what another service does: verify with the published key alone, no secret shared
    public = jwt.PyJWK(key).key
    assert isinstance(public, Ed25519PublicKey)
    claims = jwt.decode(account.access_token, public, algorithms=["EdDSA"], audience="lore-api", issuer="lore")
    assert claims["sub"] == account.id


async def test_a_token_from_before_rotate_verifies_until_its_key_is_removed(
    fast_client: Client, fast_settings: Settings, keys_cli: CliRunner, engine: AsyncEngine
) -> None:
    account = await signed_in(fast_client, EMAIL)
    old_kid = _kid(account.access_token)
    assert await _published(fast_client) == [old_kid]

    rotated = await _keys(keys_cli, "rotate")
    new_kid = rotated.output.split("added ", 1)[1].split(":", 1)[0]
    assert new_kid != old_kid

    async def both_published() -> list[str] | None:
        kids = await _published(fast_client)
        return kids if set(kids) == {old_kid, new_kid} else None

    await _eventually(both_published, "the new key published next to the old one")

    async def signed_by_the_new_key() -> str | None:
        token = await _fresh_token(fast_client)
        return token if _kid(token) == new_kid else None

    newer = await _eventually(signed_by_the_new_key, "new tokens signed by the new key")
    assert (await fast_client.get(ME, headers=account.headers)).status_code == 200  # the old token still works
    assert (await fast_client.get(ME, headers=bearer(newer))).status_code == 200

    listed = (await _keys(keys_cli, "list")).output
    assert f"{old_kid}  retired" in listed
    assert f"{new_kid}  current" in listed
    assert "nothing to remove" in (await _keys(keys_cli, "prune")).output  # its tokens may still be live

    # the access-token TTL (plus leeway) passes for the old key: it stops verifying and leaves the JWKS
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE signing_keys SET retired_at = now() - interval '1 hour' WHERE kid = :kid"), {"kid": old_kid}
        )

    async def only_the_new_key() -> list[str] | None:
        kids = await _published(fast_client)
        return kids if kids == [new_kid] else None

    await _eventually(only_the_new_key, "the old key gone from the JWKS")
    response = await fast_client.get(ME, headers=account.headers)
    assert_error(response, 401, "INVALID_TOKEN")  # not TOKEN_EXPIRED: its key is gone, refreshing is pointless
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert (await fast_client.get(ME, headers=bearer(newer))).status_code == 200

    assert f"removed {old_kid}" in (await _keys(keys_cli, "prune")).output
    listed = (await _keys(keys_cli, "list")).output
    assert old_kid not in listed
    assert new_kid in listed


async def test_every_process_signs_and_verifies_with_the_same_keys(
    fast_settings: Settings, keys_cli: CliRunner
) -> None:
    async with (
        AsyncTestClient(app=create_app(fast_settings)) as first,
        AsyncTestClient(app=create_app(fast_settings)) as second,
    ):
        account = await signed_in(first, EMAIL)
        assert (await second.get(ME, headers=account.headers)).status_code == 200
        assert await _published(first) == await _published(second)  # one key: the second found the first's

        new_kid = (await _keys(keys_cli, "rotate")).output.split("added ", 1)[1].split(":", 1)[0]

        async def signed_by_the_new_key() -> str | None:
            token = await _fresh_token(second)
            return token if _kid(token) == new_kid else None

        newer = await _eventually(signed_by_the_new_key, "the second app signing with the new key")
        assert (await first.get(ME, headers=bearer(newer))).status_code == 200
        assert (await first.get(ME, headers=account.headers)).status_code == 200


async def test_a_compromised_key_is_replaced_at_once_and_removed(
    fast_client: Client, keys_cli: CliRunner, engine: AsyncEngine
) -> None:
    account = await signed_in(fast_client, EMAIL)
    old_kid = _kid(account.access_token)
    in_use = await asyncio.to_thread(keys_cli.invoke, cli, ["keys", "remove", old_kid])
    assert in_use.exit_code == 1
    assert "KEY_IN_USE" in in_use.output

    new_kid = (await _keys(keys_cli, "rotate", "--now")).output.split("added ", 1)[1].split(":", 1)[0]
    assert f"removed {old_kid}" in (await _keys(keys_cli, "remove", old_kid)).output

    async def only_the_new_key() -> list[str] | None:
        kids = await _published(fast_client)
        return kids if kids == [new_kid] else None

    await _eventually(only_the_new_key, "the removed key gone from the JWKS")
    assert_error(await fast_client.get(ME, headers=account.headers), 401, "INVALID_TOKEN")
    newer = await _fresh_token(fast_client)
    assert _kid(newer) == new_kid
    assert (await fast_client.get(ME, headers=bearer(newer))).status_code == 200
    missing = await asyncio.to_thread(keys_cli.invoke, cli, ["keys", "remove", old_kid])
    assert missing.exit_code == 1
    assert "SIGNING_KEY_NOT_FOUND" in missing.output

    # the operator's changes are in the audit log, the refused ones not
    async with engine.connect() as connection:
        audited = (
            await connection.execute(
                text(
                    "SELECT action, details->>'kid', details->>'at_once', outcome FROM audit_events"
                    " WHERE action LIKE 'signing_key.%' ORDER BY occurred_at, action"
                )
            )
        ).all()
    assert [tuple(row) for row in audited] == [
        ("signing_key.added", new_kid, "true", "success"),
        ("signing_key.removed", old_kid, None, "success"),
    ]
