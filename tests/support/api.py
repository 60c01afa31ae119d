"""Helpers for driving the identity API in e2e tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from application.identity.accounts import NewAccount
from application.identity.users import CreateUser
from domain.identity.roles import Role
from entrypoints.bootstrap.container import build_container
from tests.support.identity_fakes import token_in
from tests.support.observe import read_mailbox

PASSWORD = "correct horse battery staple"
Client = AsyncTestClient[Litestar]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def wait_for_mail(mailbox: Path, to: str, subject: str, timeout: float = 10.0) -> dict[str, str]:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for message in reversed(read_mailbox(mailbox)):
            if message["to"] == to and subject in message["subject"]:
                return message
        await asyncio.sleep(0.05)
    raise AssertionError(f"no '{subject}' mail to {to} within {timeout} s")


@dataclass
class Account:
    id: str
    email: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)


async def create_user(client: Client, email: str, role: Role = Role.MEMBER, password: str = PASSWORD) -> str:
    """A verified account made the operator's way (as `lore users create` does), skipping email."""
    app = client.app
    assert isinstance(app, Litestar)
    # the test client runs the app on its own event loop, so this uses a container of its own
    container = build_container(app.state.settings)
    try:
        async with container() as scope:
            user = await (await scope.get(CreateUser)).execute(
                NewAccount(email, password, email.split("@", maxsplit=1)[0], role=role, verified=True)
            )
    finally:
        await container.close()
    return str(user.id)


async def login(client: Client, email: str, password: str = PASSWORD, **headers: str) -> Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password}, headers=headers)


async def signed_in(client: Client, email: str, role: Role = Role.MEMBER) -> Account:
    user_id = await create_user(client, email, role)
    response = await login(client, email)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return Account(user_id, email, data["access_token"], data["refresh_token"])


def mail_token(message: dict[str, str]) -> str:
    return token_in(message["text"])


def assert_error(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    assert error["request_id"] == response.headers["x-request-id"]
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    return error
