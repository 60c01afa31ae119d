"""Forgotten, reset and changed passwords over HTTP, with the reset link read from the dev mailbox."""

from __future__ import annotations

from entrypoints.bootstrap.settings import Settings
from tests.support.api import PASSWORD, Client, assert_error, bearer, login, mail_token, signed_in, wait_for_mail
from tests.support.observe import read_mailbox
from tests.support.unproven_account import unproven_holder

NEW = "an entirely new passphrase"


async def test_forgot_and_reset(mail_client: Client, settings: Settings) -> None:
    account = await signed_in(mail_client, "ann@example.org")
    for email in ("ann@example.org", "nobody@example.org", "not-an-email"):
        response = await mail_client.post("/api/v1/auth/password/forgot", json={"email": email})
        assert response.status_code == 202
    token = mail_token(await wait_for_mail(settings.mailbox_dir, "ann@example.org", "Reset your"))
    assert {m["to"] for m in read_mailbox(settings.mailbox_dir)} == {"ann@example.org"}

    weak = await mail_client.post("/api/v1/auth/password/reset", json={"token": token, "password": "password"})
    assert_error(weak, 422, "WEAK_PASSWORD")
    # the failed attempt did not burn the token
    done = await mail_client.post("/api/v1/auth/password/reset", json={"token": token, "password": NEW})
    assert done.status_code == 204
    assert_error(await mail_client.get("/api/v1/users/me", headers=account.headers), 401, "INVALID_TOKEN")
    assert_error(await login(mail_client, "ann@example.org"), 401, "INVALID_CREDENTIALS")
    assert (await login(mail_client, "ann@example.org", NEW)).status_code == 200
    again = await mail_client.post("/api/v1/auth/password/reset", json={"token": token, "password": NEW + "!"})
    assert_error(again, 422, "INVALID_OR_EXPIRED_TOKEN")


async def test_change_password(client: Client) -> None:
    account = await signed_in(client, "ann@example.org")
    other = (await login(client, "ann@example.org")).json()["data"]
    url = "/api/v1/users/me/password"

    wrong = await client.post(url, json={"current_password": "nope", "new_password": NEW}, headers=account.headers)
    assert_error(wrong, 422, "INVALID_CURRENT_PASSWORD")
    weak = await client.post(
        url, json={"current_password": PASSWORD, "new_password": "qwerty"}, headers=account.headers
    )
    assert_error(weak, 422, "WEAK_PASSWORD")

    ok = await client.post(url, json={"current_password": PASSWORD, "new_password": NEW}, headers=account.headers)
    assert ok.status_code == 204
    assert (await client.get("/api/v1/users/me", headers=account.headers)).status_code == 200
    assert_error(await client.get("/api/v1/users/me", headers=bearer(other["access_token"])), 401, "INVALID_TOKEN")
    assert (await login(client, "ann@example.org", NEW)).status_code == 200


async def test_change_password_needs_authentication(client: Client) -> None:
    response = await client.post("/api/v1/users/me/password", json={"current_password": "a", "new_password": "b"})
    assert_error(response, 401, "UNAUTHENTICATED")


async def test_a_reset_that_proves_the_address_ends_what_its_unproven_holder_set_up(
    mail_client: Client, settings: Settings
) -> None:
    key = await unproven_holder(mail_client, "claimed@example.org", "sub-holder")
    assert (await mail_client.get("/api/v1/users/me", headers=bearer(key))).status_code == 200
    forgot = await mail_client.post("/api/v1/auth/password/forgot", json={"email": "claimed@example.org"})
    assert forgot.status_code == 202, forgot.text
    token = mail_token(await wait_for_mail(settings.mailbox_dir, "claimed@example.org", "Reset your"))
    done = await mail_client.post("/api/v1/auth/password/reset", json={"token": token, "password": NEW})
    assert done.status_code == 204, done.text
    assert (await mail_client.get("/api/v1/users/me", headers=bearer(key))).status_code == 401
    signed = await login(mail_client, "claimed@example.org", NEW)
    assert signed.status_code == 200, signed.text
    headers = bearer(signed.json()["data"]["access_token"])
    assert (await mail_client.get("/api/v1/users/me/identities", headers=headers)).json()["data"] == []
