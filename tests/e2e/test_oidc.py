"""Sign-in with OpenID Connect: the real app and stores against a real provider on 127.0.0.1.

The browser's part is played by hand: the app's start answers a redirect to the provider, the provider's
authorization endpoint answers a redirect back to the callback, and the test follows both.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import httpx
import jwt
import msgspec
import pyotp
import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.support.api import PASSWORD, Client, assert_error, bearer, create_user, login, signed_in
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProviderDouble, ProviderUser, oidc_provider
from tests.support.servers import free_port
from tests.support.totp_time import TotpTime, TotpTimeProvider
from tests.support.unproven_account import unproven_holder

START = "/api/v1/auth/oidc/test/start"
IDENTITIES = "/api/v1/users/me/identities"


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProviderDouble]:
    with oidc_provider() as double:
        yield double


@pytest.fixture(autouse=True)
def _well_behaved(provider: OidcProviderDouble) -> None:
    provider.misbehave.clear()
    provider.authorize_requests.clear()
    provider.token_requests.clear()


def _with_provider(
    settings: Settings, provider: OidcProviderDouble, issuer: str = "", secret: str = CLIENT_SECRET, **changes: Any
) -> Settings:
    config = {
        "test": {
            "issuer": issuer or provider.issuer,
            "client_id": CLIENT_ID,
            "client_secret": secret,
            "display_name": "Test SSO",
        }
    }
    return msgspec.structs.replace(settings, oidc_providers=json.dumps(config), **changes)


@pytest.fixture
def totp_time() -> TotpTime:
    return TotpTime()


@pytest.fixture
async def oidc(settings: Settings, provider: OidcProviderDouble, totp_time: TotpTime) -> AsyncIterator[Client]:
    app = create_app(_with_provider(settings, provider), overrides=[TotpTimeProvider(totp_time)])
    async with AsyncTestClient(app=app) as client:
        yield client


def _person(email_verified: bool = True) -> ProviderUser:
    return ProviderUser(f"sub-{uuid4()}", f"{uuid4().hex[:12]}@example.org", email_verified)


async def _at_provider(authorization_url: str) -> str:
    """The browser at the provider: it signs the user in and sends them back; the callback's path and query."""
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(authorization_url)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    return f"{back.path}?{back.query}"


async def _callback_url(client: Client) -> str:
    start = await client.get(START, follow_redirects=False)
    assert start.status_code == 302, start.text
    assert "lore_oidc" in start.headers["set-cookie"]
    return await _at_provider(start.headers["location"])


async def _sign_in(client: Client, provider: OidcProviderDouble, user: ProviderUser) -> Response:
    provider.next_user = user
    return await client.get(await _callback_url(client))


def _data(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


async def test_the_providers_are_listed_publicly(oidc: Client) -> None:
    assert _data(await oidc.get("/api/v1/auth/oidc/providers")) == [
        {"name": "test", "display_name": "Test SSO", "start_url": START}
    ]
    assert_error(await oidc.get("/api/v1/auth/oidc/nobody/start"), 404, "NOT_FOUND")


async def test_a_first_sign_in_creates_an_account_and_the_next_one_finds_it(
    oidc: Client, provider: OidcProviderDouble
) -> None:
    person = _person()
    first = _data(await _sign_in(oidc, provider, person))
    assert first["intent"] == "sign_in"
    assert first["account_created"] is True
    assert first["identity"]["subject"] == person.subject
    # authorization code with PKCE S256, a nonce, and the verifier at the token endpoint
    sent = provider.authorize_requests[-1]
    assert sent["code_challenge_method"] == "S256"
    assert sent["nonce"]
    assert sent["scope"] == "openid email profile"
    assert len(provider.token_requests[-1]["code_verifier"]) >= 43
    me = _data(await oidc.get("/api/v1/users/me", headers=bearer(first["access_token"])))
    assert me["email"] == person.email
    assert me["email_verified"] is True
    assert me["role"] == "member"
    again = _data(await _sign_in(oidc, provider, person))
    assert again["account_created"] is False
    assert _data(await oidc.get("/api/v1/users/me", headers=bearer(again["access_token"])))["id"] == me["id"]
    # the same refresh-token rotation as a password sign-in
    refreshed = await oidc.post("/api/v1/auth/refresh", json={"refresh_token": again["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    # the account has no password: a password sign-in fails like a wrong password
    assert_error(await login(oidc, person.email, "any password at all"), 401, "INVALID_CREDENTIALS")


async def test_a_provider_verified_email_links_the_existing_account(oidc: Client, provider: OidcProviderDouble) -> None:
    person = _person()
    user_id = await create_user(oidc, person.email)
    signed = _data(await _sign_in(oidc, provider, person))
    assert signed["account_created"] is False
    headers = bearer(signed["access_token"])
    assert _data(await oidc.get("/api/v1/users/me", headers=headers))["id"] == user_id
    [identity] = _data(await oidc.get(IDENTITIES, headers=headers))
    assert identity["provider"] == "test"
    assert identity["subject"] == person.subject
    # with a password set, the account may drop its only identity
    assert (await oidc.delete(f"{IDENTITIES}/{identity['id']}", headers=headers)).status_code == 204
    assert _data(await oidc.get(IDENTITIES, headers=headers)) == []


async def test_an_unverified_email_never_links_an_existing_account(oidc: Client, provider: OidcProviderDouble) -> None:
    person = _person(email_verified=False)
    await create_user(oidc, person.email)
    assert_error(await _sign_in(oidc, provider, person), 409, "OIDC_EMAIL_NOT_VERIFIED")


async def test_an_unverified_email_makes_no_account(oidc: Client, provider: OidcProviderDouble) -> None:
    """An account from an address the provider did not verify would be ready for whoever typed it first."""
    person = _person(email_verified=False)
    error = assert_error(await _sign_in(oidc, provider, person), 409, "OIDC_EMAIL_NOT_VERIFIED")
    assert "has not verified this email address" in error["message"]
    await create_user(oidc, person.email)  # no account was made: the address is free
    assert_error(await _sign_in(oidc, provider, person), 409, "OIDC_EMAIL_NOT_VERIFIED")


async def test_a_verified_email_claims_an_unverified_account_and_its_holder_loses_every_way_in(
    oidc: Client, provider: OidcProviderDouble
) -> None:
    victim = _person()
    holder = ProviderUser(f"sub-{uuid4()}", victim.email, False)
    key = await unproven_holder(oidc, victim.email, holder.subject)
    assert (await oidc.get("/api/v1/users/me", headers=bearer(key))).status_code == 200
    # an account whose address nobody proved is not signed in through its identity either
    assert_error(await _sign_in(oidc, provider, holder), 403, "EMAIL_NOT_VERIFIED")

    claimed = _data(await _sign_in(oidc, provider, victim))
    assert claimed["account_created"] is False
    headers = bearer(claimed["access_token"])
    assert _data(await oidc.get("/api/v1/users/me", headers=headers))["email_verified"] is True
    assert [i["subject"] for i in _data(await oidc.get(IDENTITIES, headers=headers))] == [victim.subject]
    assert (await oidc.get("/api/v1/users/me", headers=bearer(key))).status_code == 401
    assert_error(await _sign_in(oidc, provider, holder), 409, "OIDC_EMAIL_NOT_VERIFIED")


async def test_the_email_may_come_from_userinfo(oidc: Client, provider: OidcProviderDouble) -> None:
    provider.misbehave.add("email_in_userinfo")
    person = _person()
    signed = _data(await _sign_in(oidc, provider, person))
    assert _data(await oidc.get("/api/v1/users/me", headers=bearer(signed["access_token"])))["email"] == person.email


async def test_the_callback_needs_the_state_and_browser_of_its_start(
    oidc: Client, provider: OidcProviderDouble, settings: Settings
) -> None:
    provider.next_user = _person()
    url = await _callback_url(oidc)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    tampered = await oidc.get(parts.path, params={**query, "state": query["state"] + "x"})
    assert_error(tampered, 400, "OIDC_STATE_INVALID")
    assert_error(await oidc.get(parts.path, params={"code": query["code"]}), 400, "OIDC_STATE_INVALID")
    # another browser (no binding cookie) with the victim's callback link: login CSRF is refused
    async with AsyncTestClient(app=create_app(_with_provider(settings, provider))) as stranger:
        assert_error(await stranger.get(url), 400, "OIDC_STATE_INVALID")
    # the state was spent by that attempt: it works once, even for its own browser
    assert_error(await oidc.get(url), 400, "OIDC_STATE_INVALID")


async def test_a_callback_naming_another_issuer_is_refused(oidc: Client, provider: OidcProviderDouble) -> None:
    provider.next_user = _person()
    url = await _callback_url(oidc)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    mixed_up = await oidc.get(parts.path, params={**query, "iss": "https://other-idp.example.org"})
    assert_error(mixed_up, 400, "OIDC_PROVIDER_ERROR")
    assert mixed_up.json()["error"]["details"]["reason"] == "iss"
    assert_error(await oidc.get(url), 400, "OIDC_STATE_INVALID")  # that attempt spent the state
    # the provider's own issuer is accepted (RFC 9207 providers send it on every response)
    provider.next_user = _person()
    url = await _callback_url(oidc)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    signed_in = await oidc.get(parts.path, params={**query, "iss": provider.issuer})
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["data"]["access_token"]


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("nonce", "nonce"),
        ("aud", "aud"),
        ("azp", "azp"),  # several audiences and no authorized party
        ("expired", "exp"),
        ("iss", "iss"),
        ("foreign_key", "signature"),
        ("no_id_token", "missing"),
    ],
)
async def test_an_id_token_that_fails_a_check_is_refused(
    oidc: Client, provider: OidcProviderDouble, fault: str, reason: str
) -> None:
    provider.misbehave.add(fault)
    error = assert_error(await _sign_in(oidc, provider, _person()), 401, "OIDC_ID_TOKEN_INVALID")
    assert error["details"]["reason"] == reason


async def test_an_error_from_the_provider_is_a_client_error(oidc: Client, provider: OidcProviderDouble) -> None:
    provider.misbehave.add("error")
    error = assert_error(await _sign_in(oidc, provider, _person()), 400, "OIDC_PROVIDER_ERROR")
    assert error["details"]["error"] == "access_denied"


async def test_a_signed_in_user_links_and_unlinks_providers(oidc: Client, provider: OidcProviderDouble) -> None:
    # an account the provider made has no password: its one identity cannot go
    made = _data(await _sign_in(oidc, provider, _person()))
    headers = bearer(made["access_token"])
    [only] = _data(await oidc.get(IDENTITIES, headers=headers))
    assert_error(await oidc.delete(f"{IDENTITIES}/{only['id']}", headers=headers), 409, "LAST_SIGN_IN_METHOD")
    # a second identity, linked from the account, makes the first one removable
    second = _person()
    provider.next_user = second
    link = _data(await oidc.post("/api/v1/auth/oidc/test/link", headers=headers))
    linked = _data(await oidc.get(await _at_provider(link["authorization_url"])))
    assert linked["intent"] == "link"
    assert linked["access_token"] is None
    assert linked["identity"]["subject"] == second.subject
    assert len(_data(await oidc.get(IDENTITIES, headers=headers))) == 2
    assert (await oidc.delete(f"{IDENTITIES}/{only['id']}", headers=headers)).status_code == 204
    [left] = _data(await oidc.get(IDENTITIES, headers=headers))
    assert_error(await oidc.delete(f"{IDENTITIES}/{left['id']}", headers=headers), 409, "LAST_SIGN_IN_METHOD")
    # someone else's identity is not found, and a provider account linked elsewhere is not taken over
    other = await signed_in(oidc, f"{uuid4().hex[:12]}@example.org")
    assert_error(await oidc.delete(f"{IDENTITIES}/{left['id']}", headers=other.headers), 404, "NOT_FOUND")
    provider.next_user = second
    link = _data(await oidc.post("/api/v1/auth/oidc/test/link", headers=other.headers))
    assert_error(await oidc.get(await _at_provider(link["authorization_url"])), 409, "IDENTITY_LINKED_ELSEWHERE")


async def test_with_a_success_url_the_tokens_travel_in_the_fragment(
    settings: Settings, provider: OidcProviderDouble
) -> None:
    app: Litestar = create_app(_with_provider(settings, provider, oidc_success_url="https://app.example.org/signed-in"))
    async with AsyncTestClient(app=app) as client:
        provider.next_user = _person()
        answer = await client.get(await _callback_url(client), follow_redirects=False)
        assert answer.status_code == 303, answer.text
        assert answer.headers["cache-control"] == "no-store"
        target = urlsplit(answer.headers["location"])
        assert f"{target.scheme}://{target.netloc}{target.path}" == "https://app.example.org/signed-in"
        tokens = {k: v[0] for k, v in parse_qs(target.fragment).items()}
        assert tokens["account_created"] == "true"
        headers = bearer(tokens["access_token"])
        assert (await client.get("/api/v1/users/me", headers=headers)).status_code == 200
        # a link comes back to the same page, saying which provider was linked
        provider.next_user = _person()
        link = _data(await client.post("/api/v1/auth/oidc/test/link", headers=headers))
        linked = await client.get(await _at_provider(link["authorization_url"]), follow_redirects=False)
        assert linked.status_code == 303, linked.text
        assert urlsplit(linked.headers["location"]).fragment == "linked=test"


async def test_a_refused_code_is_a_client_error(settings: Settings, provider: OidcProviderDouble) -> None:
    async with AsyncTestClient(app=create_app(_with_provider(settings, provider, secret="not-the-secret"))) as client:
        error = assert_error(await _sign_in(client, provider, _person()), 400, "OIDC_CODE_REFUSED")
    assert error["details"]["error"] == "invalid_client"


@pytest.mark.parametrize("where", ["nobody listening", "another issuer"])
async def test_a_provider_that_cannot_be_discovered_is_unavailable(
    settings: Settings, provider: OidcProviderDouble, where: str
) -> None:
    # the document must name the issuer it was read from: a trailing slash is another issuer
    issuer = f"http://127.0.0.1:{free_port()}" if where == "nobody listening" else provider.issuer + "/"
    async with AsyncTestClient(app=create_app(_with_provider(settings, provider, issuer=issuer))) as client:
        answer = await client.get(START, follow_redirects=False)
    assert_error(answer, 503, "OIDC_PROVIDER_UNAVAILABLE")
    assert "retry-after" in answer.headers


async def _enrol(client: Client, headers: dict[str, str], clock: TotpTime, body: dict[str, str]) -> str:
    """Starts and confirms MFA; the TOTP secret."""
    secret: str = _data(await client.post("/api/v1/users/me/mfa", json=body, headers=headers))["secret"]
    confirm = {"code": pyotp.TOTP(secret).at(clock.now)}
    _data(await client.post("/api/v1/users/me/mfa/confirm", json=confirm, headers=headers))
    return secret


def _amr(sessions: list[dict[str, Any]]) -> list[str]:
    current: list[str] = next(s for s in sessions if s["current"])["amr"]
    return current


async def test_an_account_with_mfa_takes_the_code_step_after_the_provider(
    oidc: Client, provider: OidcProviderDouble, totp_time: TotpTime, settings: Settings
) -> None:
    person = _person()
    first = _data(await _sign_in(oidc, provider, person))
    headers = bearer(first["access_token"])
    assert _amr(_data(await oidc.get("/api/v1/auth/sessions", headers=headers))) == ["fed"]
    secret = await _enrol(oidc, headers, totp_time, {})  # no password: the fresh sign-in is the proof

    # the provider stands in for the password, never for the second factor
    challenge = _data(await _sign_in(oidc, provider, person))
    assert challenge == {"mfa_required": True, "mfa_token": challenge["mfa_token"], "expires_in": 300}
    assert_error(await oidc.get("/api/v1/users/me", headers=bearer(challenge["mfa_token"])), 401, "INVALID_TOKEN")
    totp_time.next_step()
    answer = {"mfa_token": challenge["mfa_token"], "code": pyotp.TOTP(secret).at(totp_time.now)}
    pair = _data(await oidc.post("/api/v1/auth/login/mfa", json=answer))
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})  # test_signing_keys verifies
    assert claims["amr"] == ["fed", "otp"]
    assert _amr(_data(await oidc.get("/api/v1/auth/sessions", headers=bearer(pair["access_token"])))) == [
        "fed",
        "otp",
    ]
    # the challenge was spent
    assert_error(await oidc.post("/api/v1/auth/login/mfa", json=answer), 401, "INVALID_TOKEN")


async def test_linking_by_email_to_an_account_with_mfa_still_asks_for_the_code(
    settings: Settings, provider: OidcProviderDouble, totp_time: TotpTime
) -> None:
    """In OIDC_SUCCESS_URL mode the challenge travels in the fragment, like the tokens would."""
    changes = {"oidc_success_url": "https://app.example.org/signed-in"}
    app = create_app(_with_provider(settings, provider, **changes), overrides=[TotpTimeProvider(totp_time)])
    async with AsyncTestClient(app=app) as client:
        ann = await signed_in(client, "ann-mfa@example.org")
        secret = await _enrol(client, ann.headers, totp_time, {"password": PASSWORD})
        provider.next_user = ProviderUser(f"sub-{uuid4()}", "ann-mfa@example.org", True)
        answer = await client.get(await _callback_url(client), follow_redirects=False)
        assert answer.status_code == 303, answer.text
        fragment = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).fragment).items()}
        assert fragment["mfa_required"] == "true"
        assert (fragment["expires_in"], fragment["account_created"]) == ("300", "false")
        assert "access_token" not in fragment
        totp_time.next_step()
        code = {"mfa_token": fragment["mfa_token"], "code": pyotp.TOTP(secret).at(totp_time.now)}
        pair = _data(await client.post("/api/v1/auth/login/mfa", json=code))
        sessions = _data(await client.get("/api/v1/auth/sessions", headers=bearer(pair["access_token"])))
        assert _amr(sessions) == ["fed", "otp"]
        # the identity was linked by the first step, though the sign-in waited for the code
        assert [i["email"] for i in _data(await client.get(IDENTITIES, headers=ann.headers))] == ["ann-mfa@example.org"]


async def test_an_account_without_a_password_enrols_only_soon_after_signing_in(
    oidc: Client, provider: OidcProviderDouble, engine: AsyncEngine
) -> None:
    person = _person()
    stale = bearer(_data(await _sign_in(oidc, provider, person))["access_token"])
    async with engine.begin() as connection:  # as if that sign-in were an hour old (past MFA_STEP_UP_SECONDS)
        await connection.execute(
            text("UPDATE auth_sessions SET created_at = :at WHERE user_id = (SELECT id FROM users WHERE email = :e)"),
            {"at": datetime.now(UTC) - timedelta(hours=1), "e": person.email},
        )
    assert_error(await oidc.post("/api/v1/users/me/mfa", json={}, headers=stale), 401, "RECENT_SIGN_IN_REQUIRED")
    # a password cannot stand in: the account has none
    refused = await oidc.post("/api/v1/users/me/mfa", json={"password": PASSWORD}, headers=stale)
    assert_error(refused, 401, "RECENT_SIGN_IN_REQUIRED")
    fresh = bearer(_data(await _sign_in(oidc, provider, person))["access_token"])
    assert _data(await oidc.post("/api/v1/users/me/mfa", json={}, headers=fresh))["secret"]
