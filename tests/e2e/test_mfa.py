"""TOTP MFA over HTTP with the real app and stores: enrolment, the two-step sign-in, replay, recovery codes,
throttling, disabling, the admin reset, step-up and MFA_REQUIRED_FOR_ADMINS.

Codes are computed with pyotp from the secret the API hands out. TOTP time is the test's own (a time source
given to the TOTP adapter), so a test moves to the next 30-second step instead of waiting for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import msgspec
import pyotp
import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from entrypoints.cli.main import cli
from entrypoints.http.app import create_app
from tests.support.api import PASSWORD, Account, Client, assert_error, bearer, create_user, login, signed_in
from tests.support.totp_time import TotpTime, TotpTimeProvider


@pytest.fixture
def totp_time() -> TotpTime:
    return TotpTime()


async def _client(settings: Settings, totp_time: TotpTime) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(settings, overrides=[TotpTimeProvider(totp_time)])) as client:
        yield client


@pytest.fixture
async def mfa_client(settings: Settings, totp_time: TotpTime) -> AsyncIterator[Client]:
    async for client in _client(settings, totp_time):
        yield client


@pytest.fixture
async def strict_client(settings: Settings, totp_time: TotpTime) -> AsyncIterator[Client]:
    """MFA_REQUIRED_FOR_ADMINS=true."""
    async for client in _client(msgspec.structs.replace(settings, mfa_required_for_admins=True), totp_time):
        yield client


class Enrolled:
    def __init__(self, account: Account, secret: str, recovery_codes: list[str], clock: TotpTime) -> None:
        self.account = account
        self.secret = secret
        self.recovery_codes = recovery_codes
        self._clock = clock

    def code(self) -> str:
        """A code of a step not used yet."""
        self._clock.next_step()
        return pyotp.TOTP(self.secret).at(self._clock.now)


async def enrol(client: Client, account: Account, clock: TotpTime) -> Enrolled:
    started = await client.post("/api/v1/users/me/mfa", json={"password": PASSWORD}, headers=account.headers)
    assert started.status_code == 200, started.text
    secret = started.json()["data"]["secret"]
    confirmed = await client.post(
        "/api/v1/users/me/mfa/confirm",
        json={"code": pyotp.TOTP(secret).at(clock.now)},
        headers=account.headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    return Enrolled(account, secret, confirmed.json()["data"]["recovery_codes"], clock)


async def signed_in_with_mfa(client: Client, email: str, clock: TotpTime, role: Role = Role.MEMBER) -> Enrolled:
    return await enrol(client, await signed_in(client, email, role), clock)


async def password_step(client: Client, email: str) -> str:
    response = await login(client, email)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["mfa_required"] is True, data
    assert "access_token" not in data
    token: str = data["mfa_token"]
    return token


async def code_step(client: Client, mfa_token: str, code: str) -> Any:
    return await client.post("/api/v1/auth/login/mfa", json={"mfa_token": mfa_token, "code": code})


async def mfa_login(client: Client, enrolled: Enrolled, code: str | None = None) -> Account:
    response = await code_step(client, await password_step(client, enrolled.account.email), code or enrolled.code())
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return Account(enrolled.account.id, enrolled.account.email, data["access_token"], data["refresh_token"])


async def test_enrolment_is_confirmed_by_a_first_code(
    mfa_client: Client, totp_time: TotpTime, engine: AsyncEngine
) -> None:
    ann = await signed_in(mfa_client, "ann@example.org")
    status = await mfa_client.get("/api/v1/users/me/mfa", headers=ann.headers)
    assert status.json()["data"] == {"enabled": False, "pending": False, "recovery_codes_left": 0, "confirmed_at": None}

    for body in ({}, {"password": "not the password"}):  # a stolen access token alone cannot enrol
        refused = await mfa_client.post("/api/v1/users/me/mfa", json=body, headers=ann.headers)
        assert_error(refused, 422, "INVALID_CURRENT_PASSWORD")
    setup = await mfa_client.post("/api/v1/users/me/mfa", json={"password": PASSWORD}, headers=ann.headers)
    started = setup.json()["data"]
    secret = started["secret"]
    assert started["otpauth_uri"] == pyotp.TOTP(secret).provisioning_uri(name="ann@example.org", issuer_name="Lore")
    assert started["otpauth_uri"].startswith("otpauth://totp/Lore:ann%40example.org?secret=")
    pending = (await mfa_client.get("/api/v1/users/me/mfa", headers=ann.headers)).json()["data"]
    assert pending["pending"] is True
    assert pending["enabled"] is False
    # not active yet: signing in still takes only the password
    assert "access_token" in (await login(mfa_client, "ann@example.org")).json()["data"]
    # the secret is stored encrypted, bound to its user
    async with engine.connect() as connection:
        sealed = (await connection.execute(text("SELECT sealed_secret FROM user_mfa"))).scalar_one()
    assert sealed.startswith("v1:")
    assert secret not in sealed

    wrong = f"{(int(pyotp.TOTP(secret).at(totp_time.now)) + 1) % 1_000_000:06d}"
    assert_error(
        await mfa_client.post("/api/v1/users/me/mfa/confirm", json={"code": wrong}, headers=ann.headers),
        422,
        "INVALID_MFA_CODE",
    )
    confirmed = await mfa_client.post(
        "/api/v1/users/me/mfa/confirm", json={"code": pyotp.TOTP(secret).at(totp_time.now)}, headers=ann.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["data"]["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert all(len(code) == 14 and code.count("-") == 2 for code in codes)
    async with engine.connect() as connection:
        stored = (await connection.execute(text("SELECT code_hash FROM mfa_recovery_codes"))).scalars().all()
    assert len(stored) == 10
    assert not {code.replace("-", "") for code in codes} & set(stored)

    enabled = (await mfa_client.get("/api/v1/users/me/mfa", headers=ann.headers)).json()["data"]
    assert enabled["enabled"] is True
    assert enabled["recovery_codes_left"] == 10
    again = await mfa_client.post("/api/v1/users/me/mfa", json={"password": PASSWORD}, headers=ann.headers)
    assert_error(again, 409, "MFA_ALREADY_ENABLED")
    # the session that confirmed passed MFA
    sessions = (await mfa_client.get("/api/v1/auth/sessions", headers=ann.headers)).json()["data"]
    current = next(s for s in sessions if s["current"])
    assert current["amr"] == ["pwd", "otp"]
    assert current["mfa_at"] is not None
    assert [s["amr"] for s in sessions if not s["current"]] == [["pwd"]]


async def test_sign_in_takes_two_steps_and_the_challenge_is_no_access_token(
    mfa_client: Client, totp_time: TotpTime, settings: Settings
) -> None:
    ann = await signed_in_with_mfa(mfa_client, "ann@example.org", totp_time)
    challenge = await password_step(mfa_client, "ann@example.org")
    assert_error(await mfa_client.get("/api/v1/users/me", headers=bearer(challenge)), 401, "INVALID_TOKEN")
    assert_error(await code_step(mfa_client, "not-a-challenge", ann.code()), 401, "INVALID_TOKEN")
    assert_error(await code_step(mfa_client, challenge, "000000"), 422, "INVALID_MFA_CODE")

    # a mistyped code leaves the challenge usable
    response = await code_step(mfa_client, challenge, ann.code())
    assert response.status_code == 200, response.text
    pair = response.json()["data"]
    me = await mfa_client.get("/api/v1/users/me", headers=bearer(pair["access_token"]))
    assert me.json()["data"]["email"] == "ann@example.org"
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})  # test_signing_keys verifies
    assert claims["amr"] == ["pwd", "otp"]
    sessions = (await mfa_client.get("/api/v1/auth/sessions", headers=bearer(pair["access_token"]))).json()["data"]
    current = next(s for s in sessions if s["current"])
    assert current["amr"] == ["pwd", "otp"]
    # the challenge is spent
    assert_error(await code_step(mfa_client, challenge, ann.code()), 401, "INVALID_TOKEN")
    # refreshing keeps the session's methods
    refreshed = await mfa_client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    new_claims = jwt.decode(refreshed.json()["data"]["access_token"], options={"verify_signature": False})
    assert new_claims["amr"] == ["pwd", "otp"]


async def test_a_code_is_accepted_once(mfa_client: Client, totp_time: TotpTime) -> None:
    ann = await signed_in_with_mfa(mfa_client, "ann@example.org", totp_time)
    code = ann.code()
    await mfa_login(mfa_client, ann, code)
    # the same code again, still inside its window: refused
    assert_error(
        await code_step(mfa_client, await password_step(mfa_client, "ann@example.org"), code), 422, "INVALID_MFA_CODE"
    )
    # and so is the code of the step before the one used
    earlier = pyotp.TOTP(ann.secret).at(totp_time.now - 30)
    assert_error(
        await code_step(mfa_client, await password_step(mfa_client, "ann@example.org"), earlier),
        422,
        "INVALID_MFA_CODE",
    )
    await mfa_login(mfa_client, ann)  # the next step's code works


async def test_a_recovery_code_works_once(mfa_client: Client, totp_time: TotpTime) -> None:
    ann = await signed_in_with_mfa(mfa_client, "ann@example.org", totp_time)
    recovery = ann.recovery_codes[3]
    signed = await mfa_login(mfa_client, ann, recovery.upper().replace("-", " "))  # as typed, any case
    status = (await mfa_client.get("/api/v1/users/me/mfa", headers=signed.headers)).json()["data"]
    assert status["recovery_codes_left"] == 9
    assert_error(
        await code_step(mfa_client, await password_step(mfa_client, "ann@example.org"), recovery),
        422,
        "INVALID_MFA_CODE",
    )
    admin = await signed_in(mfa_client, "root@example.org", Role.ADMIN)
    events = (await mfa_client.get("/api/v1/audit-events", headers=admin.headers)).json()["data"]
    used = [e for e in events if e["action"] == "mfa.recovery_code_used"]
    assert len(used) == 1
    assert used[0]["details"]["remaining"] == 9


async def test_new_recovery_codes_need_a_code_and_replace_the_old(mfa_client: Client, totp_time: TotpTime) -> None:
    ann = await signed_in_with_mfa(mfa_client, "ann@example.org", totp_time)
    assert_error(
        await mfa_client.post(
            "/api/v1/users/me/mfa/recovery-codes", json={"code": "123456"}, headers=ann.account.headers
        ),
        422,
        "INVALID_MFA_CODE",
    )
    response = await mfa_client.post(
        "/api/v1/users/me/mfa/recovery-codes", json={"code": ann.code()}, headers=ann.account.headers
    )
    assert response.status_code == 200, response.text
    fresh = response.json()["data"]["recovery_codes"]
    assert len(fresh) == 10
    assert not set(fresh) & set(ann.recovery_codes)
    assert_error(
        await code_step(mfa_client, await password_step(mfa_client, "ann@example.org"), ann.recovery_codes[0]),
        422,
        "INVALID_MFA_CODE",
    )
    await mfa_login(mfa_client, ann, fresh[0])


async def test_wrong_codes_are_throttled_like_passwords(mfa_client: Client, totp_time: TotpTime) -> None:
    ann = await signed_in_with_mfa(mfa_client, "ann@example.org", totp_time)
    challenge = await password_step(mfa_client, "ann@example.org")
    for _ in range(5):
        assert_error(await code_step(mfa_client, challenge, "000000"), 422, "INVALID_MFA_CODE")
    # now even the right code waits, and so does the password step
    blocked = assert_error(await code_step(mfa_client, challenge, ann.code()), 429, "TOO_MANY_ATTEMPTS")
    assert blocked["details"]["retry_after"] > 0
    assert_error(await login(mfa_client, "ann@example.org"), 429, "TOO_MANY_ATTEMPTS")


NON_ASCII_DIGITS = ("\u0661\u0662\u0663\u0664\u0665\u0666", "\uff11\uff12\uff13\uff14\uff15\uff16")


async def test_digits_of_other_scripts_are_a_wrong_code_not_an_error(
    mfa_client: Client, totp_time: TotpTime, engine: AsyncEngine
) -> None:
    ann = await signed_in_with_mfa(mfa_client, "ann@example.org", totp_time)
    session = await mfa_login(mfa_client, ann)
    await _age_mfa(engine, "ann@example.org")
    challenge = await password_step(mfa_client, "ann@example.org")
    for code in NON_ASCII_DIGITS:
        assert_error(await code_step(mfa_client, challenge, code), 422, "INVALID_MFA_CODE")
        stepped = await mfa_client.post("/api/v1/auth/step-up", json={"code": code}, headers=session.headers)
        assert_error(stepped, 422, "INVALID_MFA_CODE")
    # four failures counted like wrong codes: the fifth wrong one reaches the limit
    assert_error(await code_step(mfa_client, challenge, "000000"), 422, "INVALID_MFA_CODE")
    assert_error(await code_step(mfa_client, challenge, ann.code()), 429, "TOO_MANY_ATTEMPTS")


async def test_disabling_needs_the_password_and_a_code(mfa_client: Client, totp_time: TotpTime) -> None:
    ann = await signed_in_with_mfa(mfa_client, "ann@example.org", totp_time)
    headers = ann.account.headers
    url = "/api/v1/users/me/mfa/disable"
    assert_error(
        await mfa_client.post(url, json={"password": "wrong password", "code": ann.code()}, headers=headers),
        422,
        "INVALID_CURRENT_PASSWORD",
    )
    assert_error(
        await mfa_client.post(url, json={"password": PASSWORD, "code": "000000"}, headers=headers),
        422,
        "INVALID_MFA_CODE",
    )
    response = await mfa_client.post(url, json={"password": PASSWORD, "code": ann.code()}, headers=headers)
    assert response.status_code == 204, response.text
    assert "access_token" in (await login(mfa_client, "ann@example.org")).json()["data"]
    assert_error(
        await mfa_client.post(url, json={"password": PASSWORD, "code": ann.code()}, headers=headers),
        409,
        "MFA_NOT_ENABLED",
    )


async def test_an_admin_resets_a_users_mfa_and_it_is_audited(mfa_client: Client, totp_time: TotpTime) -> None:
    ann = await signed_in_with_mfa(mfa_client, "ann@example.org", totp_time)
    bob = await signed_in(mfa_client, "bob@example.org")
    admin = await signed_in(mfa_client, "root@example.org", Role.ADMIN)
    url = f"/api/v1/users/{ann.account.id}/mfa"
    assert_error(await mfa_client.delete(url, headers=bob.headers), 403, "FORBIDDEN")
    response = await mfa_client.delete(url, headers=admin.headers)
    assert response.status_code == 204, response.text
    assert_error(await mfa_client.delete(url, headers=admin.headers), 409, "MFA_NOT_ENABLED")
    assert "access_token" in (await login(mfa_client, "ann@example.org")).json()["data"]
    events = (await mfa_client.get("/api/v1/audit-events?action=mfa.reset", headers=admin.headers)).json()["data"]
    assert [(e["actor_id"], e["subject_id"]) for e in events] == [(admin.id, ann.account.id)]


async def _age_mfa(engine: AsyncEngine, email: str) -> None:
    """As if the session's last second factor were an hour old (past MFA_STEP_UP_SECONDS)."""
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE auth_sessions SET mfa_at = :at WHERE user_id = (SELECT id FROM users WHERE email = :email)"),
            {"at": datetime.now(UTC) - timedelta(hours=1), "email": email},
        )


async def test_sensitive_actions_need_a_recent_second_factor(
    mfa_client: Client, totp_time: TotpTime, engine: AsyncEngine
) -> None:
    ann = await signed_in_with_mfa(mfa_client, "ann@example.org", totp_time)
    session = await mfa_login(mfa_client, ann)
    key = {"name": "ci", "scopes": ["documents:read"]}
    created = await mfa_client.post("/api/v1/api-keys", json=key, headers=session.headers)
    assert created.status_code == 201, created.text  # the sign-in's own second factor is recent

    await _age_mfa(engine, "ann@example.org")
    assert_error(await mfa_client.post("/api/v1/api-keys", json=key, headers=session.headers), 401, "MFA_REQUIRED")
    change = {"current_password": PASSWORD, "new_password": "another long passphrase"}
    assert_error(
        await mfa_client.post("/api/v1/users/me/password", json=change, headers=session.headers), 401, "MFA_REQUIRED"
    )
    assert_error(
        await mfa_client.post("/api/v1/auth/step-up", json={"code": "000000"}, headers=session.headers),
        422,
        "INVALID_MFA_CODE",
    )
    stepped = await mfa_client.post("/api/v1/auth/step-up", json={"code": ann.code()}, headers=session.headers)
    assert stepped.status_code == 200, stepped.text
    assert stepped.json()["data"]["valid_for"] == 600
    created = await mfa_client.post("/api/v1/api-keys", json=key, headers=session.headers)
    assert created.status_code == 201, created.text
    changed = await mfa_client.post("/api/v1/users/me/password", json=change, headers=session.headers)
    assert changed.status_code == 204, changed.text


async def test_graphql_key_creation_asks_for_a_step_up_too(
    mfa_client: Client, totp_time: TotpTime, engine: AsyncEngine
) -> None:
    ann = await signed_in_with_mfa(mfa_client, "ann@example.org", totp_time)
    await _age_mfa(engine, "ann@example.org")
    mutation = {"query": 'mutation { createApiKey(name: "ci", scopes: [DOCUMENTS_READ]) { id } }'}
    answer = (await mfa_client.post("/graphql", json=mutation, headers=ann.account.headers)).json()
    assert answer["data"]["createApiKey"] is None
    assert answer["errors"][0]["extensions"]["code"] == "MFA_REQUIRED"


async def test_step_up_needs_mfa_and_a_session(mfa_client: Client) -> None:
    bob = await signed_in(mfa_client, "bob@example.org")
    assert_error(
        await mfa_client.post("/api/v1/auth/step-up", json={"code": "123456"}, headers=bob.headers),
        409,
        "MFA_NOT_ENABLED",
    )
    # an account without MFA is not asked to step up
    created = await mfa_client.post(
        "/api/v1/api-keys", json={"name": "ci", "scopes": ["documents:read"]}, headers=bob.headers
    )
    assert created.status_code == 201
    assert_error(
        await mfa_client.post(
            "/api/v1/auth/step-up", json={"code": "123456"}, headers=bearer(created.json()["data"]["secret"])
        ),
        403,
        "SESSION_REQUIRED",
    )


async def test_role_changes_need_a_recent_second_factor(
    mfa_client: Client, totp_time: TotpTime, engine: AsyncEngine
) -> None:
    root = await signed_in_with_mfa(mfa_client, "root@example.org", totp_time, Role.ADMIN)
    bob_id = await create_user(mfa_client, "bob@example.org")
    await _age_mfa(engine, "root@example.org")
    url = f"/api/v1/users/{bob_id}"
    assert_error(
        await mfa_client.patch(url, json={"role": "editor"}, headers=root.account.headers), 401, "MFA_REQUIRED"
    )
    renamed = await mfa_client.patch(url, json={"display_name": "Robert"}, headers=root.account.headers)
    assert renamed.status_code == 200  # not a role change
    assert_error(await mfa_client.delete(f"{url}/mfa", headers=root.account.headers), 401, "MFA_REQUIRED")
    await mfa_client.post("/api/v1/auth/step-up", json={"code": root.code()}, headers=root.account.headers)
    promoted = await mfa_client.patch(url, json={"role": "editor"}, headers=root.account.headers)
    assert promoted.status_code == 200
    assert promoted.json()["data"]["role"] == "editor"


async def test_admins_must_enrol_when_the_setting_requires_it(strict_client: Client, totp_time: TotpTime) -> None:
    root = await signed_in(strict_client, "root@example.org", Role.ADMIN)
    member = await signed_in(strict_client, "ann@example.org")
    # signed in, but admin operations wait for enrolment
    for response in (
        await strict_client.get("/api/v1/users", headers=root.headers),
        await strict_client.get("/api/v1/audit-events", headers=root.headers),
        await strict_client.patch(f"/api/v1/users/{member.id}", json={"role": "editor"}, headers=root.headers),
    ):
        assert_error(response, 403, "MFA_ENROLMENT_REQUIRED")
    assert (await strict_client.get("/api/v1/users/me", headers=root.headers)).status_code == 200
    assert (await strict_client.get("/api/v1/users", headers=member.headers)).status_code == 403  # as ever
    # members are not asked to enrol
    assert (await strict_client.get("/api/v1/collections", headers=member.headers)).status_code == 200

    await enrol(strict_client, root, totp_time)
    assert (await strict_client.get("/api/v1/users", headers=root.headers)).status_code == 200
    promoted = await strict_client.patch(f"/api/v1/users/{member.id}", json={"role": "editor"}, headers=root.headers)
    assert promoted.status_code == 200, promoted.text


async def test_the_operator_resets_mfa_at_the_cli(mfa_client: Client, totp_time: TotpTime, lore: CliRunner) -> None:
    ann = await signed_in_with_mfa(mfa_client, "ann@example.org", totp_time)
    # the command runs its own event loop, so off this one
    result = await asyncio.to_thread(lore.invoke, cli, ["users", "reset-mfa", "Ann@Example.org"])
    assert result.exit_code == 0, result.output
    assert "ann@example.org: MFA removed" in result.output
    assert "access_token" in (await login(mfa_client, "ann@example.org")).json()["data"]
    again = await asyncio.to_thread(lore.invoke, cli, ["users", "reset-mfa", "ann@example.org"])
    assert again.exit_code == 1
    assert "MFA_NOT_ENABLED" in again.output
    admin = await signed_in(mfa_client, "root@example.org", Role.ADMIN)
    events = (await mfa_client.get("/api/v1/audit-events?action=mfa.reset", headers=admin.headers)).json()["data"]
    operator = "00000000-0000-0000-0000-000000000000"  # the CLI acts as the operator
    assert [(e["actor_id"], e["subject_id"]) for e in events] == [(operator, ann.account.id)]
