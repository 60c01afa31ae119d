"""One access-log line per request, and the caller on every log line of an authenticated request."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dishka.integrations.litestar import FromDishka, inject
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from domain.identity.principal import Principal
from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.support.api import Client, bearer, signed_in
from tests.support.log_capture import json_lines

ACCESS = "lore.http.access"


@get("/test/chatty")
@inject
async def chatty(principal: FromDishka[Principal]) -> dict[str, str]:
    logging.getLogger("lore.test.chatty").warning("inside an authenticated request")
    return {"role": principal.role.value}


@pytest.fixture
async def chatty_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(settings, extra_route_handlers=[chatty])) as client:
        yield client


def _only(lines: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
    matching = [line for line in lines if line["request_id"] == request_id]
    assert len(matching) == 1, matching
    return matching[0]


async def test_each_request_writes_one_access_line(client: Client, json_log: io.StringIO) -> None:
    account = await signed_in(client, "reader@example.org")
    listed = await client.get("/api/v1/collections", headers={**account.headers, "X-Request-ID": "listing-1"})
    one = await client.get("/api/v1/collections/00000000-0000-0000-0000-000000000001", headers=account.headers)
    anonymous = await client.get("/api/v1/collections")
    missing = await client.get("/no/such/page")
    live = await client.get("/health/live")
    assert [r.status_code for r in (listed, one, anonymous, missing, live)] == [200, 404, 401, 404, 200]

    lines = json_lines(json_log, ACCESS)
    line = _only(lines, "listing-1")
    assert line["method"] == "GET"
    assert line["route"] == "/api/v1/collections"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["user_id"] == account.id
    assert "api_key_id" not in line
    assert "path" not in line
    assert line["trace_id"]  # written inside the request's span

    by_id = _only(lines, one.headers["x-request-id"])
    assert (by_id["route"], by_id["status"]) == ("/api/v1/collections/{collection_id}", 404)
    assert by_id["user_id"] == account.id

    refused = _only(lines, anonymous.headers["x-request-id"])
    assert (refused["route"], refused["status"]) == ("/api/v1/collections", 401)
    assert "user_id" not in refused

    unrouted = _only(lines, missing.headers["x-request-id"])
    assert (unrouted["route"], unrouted["status"], unrouted["path"]) == (None, 404, "/no/such/page")

    probe = _only(lines, live.headers["x-request-id"])
    assert (probe["route"], probe["status"]) == ("/health/live", 200)


async def test_api_key_requests_name_the_key(client: Client, json_log: io.StringIO) -> None:
    account = await signed_in(client, "keyholder@example.org", Role.EDITOR)
    created = await client.post(
        "/api/v1/api-keys", json={"name": "ci", "scopes": ["documents:read"]}, headers=account.headers
    )
    assert created.status_code == 201, created.text
    key = created.json()["data"]
    listed = await client.get("/api/v1/collections", headers=bearer(key["secret"]))
    assert listed.status_code == 200, listed.text

    line = _only(json_lines(json_log, ACCESS), listed.headers["x-request-id"])
    assert line["api_key_id"] == key["id"]
    assert line["user_id"] == account.id


async def test_log_lines_of_an_authenticated_request_name_the_caller(
    chatty_client: Client, json_log: io.StringIO
) -> None:
    account = await signed_in(chatty_client, "chatty@example.org")
    response = await chatty_client.get("/test/chatty", headers={**account.headers, "X-Request-ID": "chatty-1"})
    assert response.status_code == 200, response.text
    outside = logging.getLogger("lore.test.chatty")
    outside.warning("after the request")

    (inside, after) = json_lines(json_log, "lore.test.chatty")
    assert inside["request_id"] == "chatty-1"
    assert inside["user_id"] == account.id
    assert "user_id" not in after
    assert after["request_id"] is None


async def test_a_client_chosen_method_and_path_are_redacted_in_the_line(client: Client, json_log: io.StringIO) -> None:
    response = await client.request("BREW", "/no/route/ann@example.org")
    assert response.status_code in (404, 405)

    line = _only(json_lines(json_log, ACCESS), response.headers["x-request-id"])
    assert line["method"] == "BREW"
    assert line["route"] is None
    assert "ann@example.org" not in line["path"]
    assert line["message"] == f"BREW (no route) {response.status_code}"
