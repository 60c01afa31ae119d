"""Registration, verification through the worker's mail, sign-in and its error codes."""

from __future__ import annotations

import asyncio

import pytest

from entrypoints.bootstrap.settings import Settings
from tests.support.api import PASSWORD, Client, assert_error, create_user, login, mail_token, wait_for_mail
from tests.support.observe import read_mailbox


async def test_register_verify_login(mail_client: Client, settings: Settings) -> None:
    response = await mail_client.post(
        "/api/v1/auth/register",
        json={"email": "Ann@Example.org", "password": PASSWORD, "display_name": "Ann"},
    )
    assert response.status_code == 201, response.text
    user = response.json()["data"]
    assert response.headers["location"] == f"/api/v1/users/{user['id']}"
    assert user["email"] == "ann@example.org"
    assert user["role"] == "member"
    assert user["email_verified"] is False
    assert "password" not in response.text

    assert_error(await login(mail_client, "ann@example.org"), 403, "EMAIL_NOT_VERIFIED")

    message = await wait_for_mail(settings.mailbox_dir, "ann@example.org", "Verify your email")
    token = mail_token(message)
    verified = await mail_client.post("/api/v1/auth/verify-email", json={"token": token})
    assert verified.status_code == 200
    assert verified.json()["data"]["email_verified"] is True
    assert_error(
        await mail_client.post("/api/v1/auth/verify-email", json={"token": token}), 422, "INVALID_OR_EXPIRED_TOKEN"
    )

    response = await login(mail_client, "ANN@example.org")
    assert response.status_code == 200
    tokens = response.json()["data"]
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 900
    assert len(tokens["refresh_token"]) >= 43  # 256 bits, base64url
    me = await mail_client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["data"]["email"] == "ann@example.org"


async def test_resend_verification_sends_a_fresh_link(mail_client: Client, settings: Settings) -> None:
    await mail_client.post(
        "/api/v1/auth/register", json={"email": "bob@example.org", "password": PASSWORD, "display_name": "Bob"}
    )
    first = mail_token(await wait_for_mail(settings.mailbox_dir, "bob@example.org", "Verify"))
    response = await mail_client.post("/api/v1/auth/verify-email/resend", json={"email": "bob@example.org"})
    assert response.status_code == 202
    unknown = await mail_client.post("/api/v1/auth/verify-email/resend", json={"email": "nobody@example.org"})
    assert unknown.status_code == 202
    for _ in range(200):
        tokens = [mail_token(m) for m in read_mailbox(settings.mailbox_dir)]
        if len(tokens) == 2:
            break
        await asyncio.sleep(0.05)
    assert len(tokens) == 2
    assert first in tokens
    second = next(t for t in tokens if t != first)
    assert_error(
        await mail_client.post("/api/v1/auth/verify-email", json={"token": first}), 422, "INVALID_OR_EXPIRED_TOKEN"
    )
    assert (await mail_client.post("/api/v1/auth/verify-email", json={"token": second})).status_code == 200


async def test_duplicate_email_is_409(client: Client) -> None:
    await create_user(client, "ann@example.org")
    response = await client.post(
        "/api/v1/auth/register", json={"email": "ANN@example.org", "password": PASSWORD, "display_name": "Ann 2"}
    )
    assert_error(response, 409, "EMAIL_TAKEN")


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short", "too_short"), ("x" * 129, "too_long"), ("iloveyou", "common"), ("baseball1", "common")],
)
async def test_weak_passwords_are_422(client: Client, password: str, reason: str) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": "ann@example.org", "password": password, "display_name": "Ann"}
    )
    error = assert_error(response, 422, "WEAK_PASSWORD")
    assert error["details"] == {"reason": reason}


async def test_long_passwords_are_not_truncated(client: Client) -> None:
    password = "p" * 100 + "q" * 28
    await create_user(client, "ann@example.org", password=password)
    assert (await login(client, "ann@example.org", password)).status_code == 200
    assert_error(await login(client, "ann@example.org", password[:-1]), 401, "INVALID_CREDENTIALS")
    assert_error(await login(client, "ann@example.org", password[:72]), 401, "INVALID_CREDENTIALS")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "display_name": "A"}, 422, "INVALID_EMAIL"),
        ({"email": "a@example.org", "password": PASSWORD, "display_name": "   "}, 422, "VALIDATION_ERROR"),
        ({"email": "a@example.org", "password": PASSWORD}, 422, "VALIDATION_ERROR"),
        (
            {"email": "a@example.org", "password": PASSWORD, "display_name": "A", "role": "admin"},
            422,
            "VALIDATION_ERROR",
        ),
    ],
)
async def test_bad_registrations(client: Client, body: dict[str, str], status: int, code: str) -> None:
    assert_error(await client.post("/api/v1/auth/register", json=body), status, code)


async def test_unknown_email_and_wrong_password_answer_alike(client: Client) -> None:
    await create_user(client, "ann@example.org")
    unknown = assert_error(await login(client, "nobody@example.org"), 401, "INVALID_CREDENTIALS")
    wrong = assert_error(await login(client, "ann@example.org", "wrong password"), 401, "INVALID_CREDENTIALS")
    assert unknown["message"] == wrong["message"]


async def test_repeated_failures_per_account_give_429_with_retry_after(client: Client) -> None:
    await create_user(client, "ann@example.org")
    for _ in range(5):
        assert_error(await login(client, "ann@example.org", "wrong password"), 401, "INVALID_CREDENTIALS")
    response = await login(client, "ann@example.org")  # even the right password waits
    assert_error(response, 429, "TOO_MANY_ATTEMPTS")
    assert 0 < int(response.headers["retry-after"]) <= 900


async def test_repeated_failures_per_address_give_429(client: Client) -> None:
    await create_user(client, "ann@example.org")
    for n in range(20):
        assert_error(await login(client, f"user{n}@example.org", "wrong password"), 401, "INVALID_CREDENTIALS")
    assert_error(await login(client, "ann@example.org"), 429, "TOO_MANY_ATTEMPTS")
