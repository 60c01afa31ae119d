"""The error envelope on every failure path, and request ids end to end."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.params import JSONBody
from litestar.testing import AsyncTestClient

from entrypoints.bootstrap.logging import JsonFormatter
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app


class Echo(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    count: int


@post("/test/echo")
async def echo(data: JSONBody[Echo]) -> Echo:
    return data


@get("/test/boom")
async def boom() -> None:
    raise RuntimeError("secret internals: SELECT * FROM users")


@pytest.fixture
async def test_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(settings, extra_route_handlers=[echo, boom])
    async with AsyncTestClient(app=app) as client:
        yield client


def assert_envelope(body: dict[str, object], code: str, request_id: str) -> dict[str, object]:
    error = body["error"]
    assert isinstance(error, dict)
    assert error["code"] == code
    assert error["request_id"] == request_id
    assert isinstance(error["message"], str)
    assert error["message"]
    assert str(error["timestamp"]).endswith("Z")
    return error


async def test_unknown_route_is_404_envelope_with_request_id(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/nope")
    assert response.status_code == 404
    request_id = response.headers["x-request-id"]
    assert len(request_id) >= 16
    assert_envelope(response.json(), "NOT_FOUND", request_id)


async def test_wrong_method_is_405_envelope(client: AsyncTestClient[Litestar]) -> None:
    response = await client.delete("/health/live")
    assert response.status_code == 405
    assert_envelope(response.json(), "METHOD_NOT_ALLOWED", response.headers["x-request-id"])


async def test_sane_request_id_is_echoed(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/nope", headers={"X-Request-ID": "abc-123.DEF:4"})
    assert response.headers["x-request-id"] == "abc-123.DEF:4"
    assert response.json()["error"]["request_id"] == "abc-123.DEF:4"


@pytest.mark.parametrize("bad", ["has space", "x" * 200, "<script>", ""])
async def test_insane_request_id_is_replaced(client: AsyncTestClient[Litestar], bad: str) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": bad})
    assert response.status_code == 200
    assert response.headers["x-request-id"] != bad
    assert len(response.headers["x-request-id"]) == 32


async def test_success_responses_carry_request_id(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health/live")
    assert response.json() == {"data": {"status": "ok"}}
    assert response.headers["x-request-id"]


async def test_malformed_json_is_400(test_client: AsyncTestClient[Litestar]) -> None:
    response = await test_client.post("/test/echo", content=b'{"name": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert_envelope(response.json(), "MALFORMED_REQUEST", response.headers["x-request-id"])


async def test_schema_violation_is_422_with_details(test_client: AsyncTestClient[Litestar]) -> None:
    response = await test_client.post("/test/echo", json={"name": "a", "count": "many"})
    assert response.status_code == 422
    error = assert_envelope(response.json(), "VALIDATION_ERROR", response.headers["x-request-id"])
    details = error["details"]
    assert isinstance(details, dict)
    assert "count" in json.dumps(details["errors"])


async def test_valid_body_passes(test_client: AsyncTestClient[Litestar]) -> None:
    response = await test_client.post("/test/echo", json={"name": "a", "count": 2})
    assert response.status_code == 201
    assert response.json() == {"name": "a", "count": 2}


async def test_unhandled_error_is_generic_500_and_logged_with_request_id(
    test_client: AsyncTestClient[Litestar], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="lore.http")
    response = await test_client.get("/test/boom", headers={"X-Request-ID": "req-boom-1"})
    assert response.status_code == 500
    error = assert_envelope(response.json(), "INTERNAL_ERROR", "req-boom-1")
    assert error["message"] == "An unexpected error occurred"
    assert "SELECT" not in response.text
    assert "Traceback" not in response.text
    records = [r for r in caplog.records if r.name == "lore.http"]
    assert len(records) == 1
    record = records[0]
    assert record.exc_info is not None
    assert "secret internals" in str(record.exc_info[1])
    assert getattr(record, "request_id", None) == "req-boom-1"
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-boom-1"
    assert "Traceback" in line["exception"]
    assert "RuntimeError: secret internals" in line["exception"]
    assert len(line["trace_id"]) == 32
