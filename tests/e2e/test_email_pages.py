"""Links in emails work in a plain browser against Lore, or point at FRONTEND_URL when it is set."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import msgspec
import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.support.api import PASSWORD, Client, login, wait_for_mail

NEW = "an entirely new passphrase " + "[" * 40  # brackets: a form body is no JSON to depth-check
EMAIL = "ann@example.org"
SCRIPT = '"><script>alert(1)</script>'


def _link(message: dict[str, str], path: str) -> str:
    match = re.search(rf"(https?://\S+){re.escape(path)}\?token=(\S+)", message["text"])
    assert match is not None, message["text"]
    return match.group(0)


def _local(link: str) -> str:
    """The path and query a browser would request from Lore for this link."""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def _assert_page(response: Response, status: int, text: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "form-action 'self'" in policy
    assert "script-src" not in policy
    assert "<script" not in response.text
    assert text in response.text


async def _register(client: Client, email: str = EMAIL) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Ann"}
    )
    assert response.status_code == 201, response.text


def _hidden_token(html: str) -> str:
    match = re.search(r'name="token" value="([^"]*)"', html)
    assert match is not None, html
    return match.group(1)


async def test_the_verification_link_verifies_in_a_browser(
    mail_client: Client, settings: Settings, spans: InMemorySpanExporter
) -> None:
    await _register(mail_client)
    message = await wait_for_mail(settings.mailbox_dir, EMAIL, "Verify your email")
    link = _link(message, "/verify-email")
    token = link.rpartition("token=")[2]
    assert link.startswith(f"{settings.public_url}/verify-email?token=")
    assert (await login(mail_client, EMAIL)).status_code == 403  # not verified yet

    _assert_page(await mail_client.get(_local(link)), 200, "Email address confirmed")
    assert (await login(mail_client, EMAIL)).status_code == 200
    # the link is single-use
    _assert_page(await mail_client.get(_local(link)), 400, "This link cannot be used")
    # the token in the URL does not reach the traces
    pages = [s for s in spans.get_finished_spans() if "/verify-email" in str((s.attributes or {}).get("url.path"))]
    assert pages
    for span in spans.get_finished_spans():
        assert token not in " ".join(str(value) for value in (span.attributes or {}).values())


@pytest.mark.parametrize("query", ["", "?token=", f"?token={'x' * 600}", "?token=not-a-real-token", f"?token={SCRIPT}"])
async def test_a_bad_verification_link_is_a_400_page(client: Client, query: str) -> None:
    response = await client.get(f"/verify-email{query}")
    _assert_page(response, 400, "invalid, expired or already used")
    assert "alert(1)" not in response.text


async def test_the_reset_link_opens_a_form_that_sets_the_password(mail_client: Client, settings: Settings) -> None:
    await _register(mail_client)
    verify = _link(await wait_for_mail(settings.mailbox_dir, EMAIL, "Verify your email"), "/verify-email")
    assert (await mail_client.get(_local(verify))).status_code == 200
    response = await mail_client.post("/api/v1/auth/password/forgot", json={"email": EMAIL})
    assert response.status_code == 202
    link = _link(await wait_for_mail(settings.mailbox_dir, EMAIL, "Reset your"), "/reset-password")
    assert link.startswith(f"{settings.public_url}/reset-password?token=")

    form = await mail_client.get(_local(link))
    _assert_page(form, 200, '<form method="post" action="/reset-password">')
    token = _hidden_token(form.text)
    assert link.endswith(f"?token={token}")

    # a GET never resets, whatever it carries
    await mail_client.get(f"/reset-password?token={token}&password={NEW}&confirm={NEW}")
    assert (await login(mail_client, EMAIL, NEW)).status_code == 401

    differ = await mail_client.post("/reset-password", data={"token": token, "password": NEW, "confirm": "other"})
    _assert_page(differ, 422, "The two passwords differ.")
    weak = await mail_client.post(
        "/reset-password", data={"token": token, "password": "password", "confirm": "password"}
    )
    _assert_page(weak, 422, "too common")
    assert _hidden_token(weak.text) == token  # the form comes back and the token still works

    done = await mail_client.post("/reset-password", data={"token": token, "password": NEW, "confirm": NEW})
    _assert_page(done, 200, "Password changed")
    assert (await login(mail_client, EMAIL)).status_code == 401
    assert (await login(mail_client, EMAIL, NEW)).status_code == 200
    again = await mail_client.post("/reset-password", data={"token": token, "password": NEW, "confirm": NEW})
    _assert_page(again, 400, "This link cannot be used")


async def test_the_reset_form_escapes_the_token(client: Client) -> None:
    response = await client.get("/reset-password", params={"token": SCRIPT})
    _assert_page(response, 200, 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"')


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("", None),
        ("?token=", None),
        ("", {"password": NEW}),
        ("", {"token": "not-a-real-token", "password": NEW, "confirm": NEW}),
        ("", {"token": "y" * 600, "password": NEW}),
    ],
)
async def test_bad_reset_requests_are_400_pages(client: Client, query: str, form: dict[str, str] | None) -> None:
    if form is None:
        response = await client.get(f"/reset-password{query}")
    else:
        response = await client.post("/reset-password", data=form)
    _assert_page(response, 400, "This link cannot be used")


@pytest.mark.parametrize(
    ("password", "message"), [(None, "Enter a new password."), ("", "Enter a new password."), ("p" * 1025, "too long")]
)
async def test_a_reset_without_a_usable_password_shows_the_form_again(
    client: Client, password: str | None, message: str
) -> None:
    form = {"token": "some-token"} | ({} if password is None else {"password": password})
    response = await client.post("/reset-password", data=form)
    _assert_page(response, 422, message)
    assert _hidden_token(response.text) == "some-token"


@pytest.fixture
async def frontend_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    configured = msgspec.structs.replace(settings, frontend_url="https://app.example.com/")
    async with AsyncTestClient(app=create_app(configured, run_worker=True)) as client:
        yield client


async def test_links_point_at_the_frontend_when_it_is_set(frontend_client: Client, settings: Settings) -> None:
    await _register(frontend_client)
    message = await wait_for_mail(settings.mailbox_dir, EMAIL, "Verify your email")
    assert _link(message, "/verify-email").startswith("https://app.example.com/verify-email?token=")
    assert "127.0.0.1" not in message["text"]
    # the frontend posts the token to the API, as a frontend would
    token = _link(message, "/verify-email").rpartition("token=")[2]
    verified = await frontend_client.post("/api/v1/auth/verify-email", json={"token": token})
    assert verified.status_code == 200

    await frontend_client.post("/api/v1/auth/password/forgot", json={"email": EMAIL})
    reset = await wait_for_mail(settings.mailbox_dir, EMAIL, "Reset your")
    assert _link(reset, "/reset-password").startswith("https://app.example.com/reset-password?token=")


@pytest.fixture
async def editor_default_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    configured = msgspec.structs.replace(settings, default_role="editor")
    async with AsyncTestClient(app=create_app(configured, run_worker=True)) as client:
        yield client


async def test_default_role_editor_lets_a_self_registered_user_create_collections(
    editor_default_client: Client, settings: Settings
) -> None:
    client = editor_default_client
    await _register(client)
    link = _link(await wait_for_mail(settings.mailbox_dir, EMAIL, "Verify your email"), "/verify-email")
    assert (await client.get(_local(link))).status_code == 200
    tokens = (await login(client, EMAIL)).json()["data"]
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = await client.get("/api/v1/users/me", headers=headers)
    assert me.json()["data"]["role"] == "editor"
    created = await client.post("/api/v1/collections", json={"name": "Notes"}, headers=headers)
    assert created.status_code == 201, created.text
